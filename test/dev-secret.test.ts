import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEV_SECRET_FILE, loadOrCreateDevSecret } from '../src/auth/dev-secret';

describe('loadOrCreateDevSecret', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'dev-secret-test-')), 'nested', 'data');
  });

  afterEach(async () => {
    await fs.rm(path.dirname(path.dirname(dataDir)), { recursive: true, force: true });
  });

  it('generates a 48-byte base64url secret into an owner-only file, creating the directory', async () => {
    const secret = await loadOrCreateDevSecret(dataDir);

    expect(secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(48);
    const file = path.join(dataDir, DEV_SECRET_FILE);
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(secret);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('returns the same secret afterwards', async () => {
    const first = await loadOrCreateDevSecret(dataDir);

    await expect(loadOrCreateDevSecret(dataDir)).resolves.toBe(first);
  });

  it('gives processes starting together one secret, leaving no temporary files', async () => {
    const secrets = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDevSecret(dataDir)));

    expect(new Set(secrets).size).toBe(1);
    expect(await fs.readdir(dataDir)).toEqual([DEV_SECRET_FILE]);
  });

  it('refuses a damaged file instead of signing with a weak secret', async () => {
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, DEV_SECRET_FILE), '\n');

    await expect(loadOrCreateDevSecret(dataDir)).rejects.toThrow(/delete it/);
  });
});
