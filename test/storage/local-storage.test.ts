import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { localFilesRouter } from '../../src/storage/local-files.router';
import { LocalObjectStorage } from '../../src/storage/local-storage';
import { imageObjectKeys, newObjectKey } from '../../src/storage/object-storage';

const SECRET = 'test-secret-test-secret-test-secret!';

/** A GET with the path exactly as given: fetch() and URL strings would resolve `..` first. */
function rawGet(baseUrl: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: rawPath }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('LocalObjectStorage and localFilesRouter', () => {
  let root: string;
  let server: http.Server;
  let baseUrl: string;
  let storage: LocalObjectStorage;
  let nowMs: number;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'local-storage-'));
    // A file next to the objects directory that no URL may reach.
    await fs.writeFile(path.join(root, 'outside.txt'), 'TOP SECRET');
    const app = express();
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    nowMs = Date.now();
    storage = new LocalObjectStorage({
      directory: path.join(root, 'objects'),
      publicBaseUrl: `${baseUrl}/`,
      secret: SECRET,
      now: () => nowMs,
    });
    app.use(localFilesRouter(storage));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(root, { recursive: true, force: true });
  });

  async function stored(contentType = 'image/webp'): Promise<{ key: string; body: Buffer }> {
    const key = imageObjectKeys(newObjectKey()).preview;
    const body = Buffer.from(`bytes of ${key}`);
    await storage.put(key, body, contentType);
    return { key, body };
  }

  it('serves a stored object through its signed URL with safe headers', async () => {
    const { key, body } = await stored('image/webp');
    const url = await storage.signedUrl(key, 600);
    expect(url).toMatch(new RegExp(`^${baseUrl}/files/${key}\\?expires=\\d+&sig=[A-Za-z0-9_-]{43}$`));
    // The scheme the traversal test below forges: HMAC-SHA256 of "<key>\n<expires>".
    const { searchParams } = new URL(url);
    const expected = createHmac('sha256', SECRET).update(`${key}\n${searchParams.get('expires')}`).digest('base64url');
    expect(searchParams.get('sig')).toBe(expected);

    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('private, max-age=600');
    expect(response.headers.get('content-length')).toBe(String(body.length));
    expect(Buffer.from(await response.arrayBuffer())).toEqual(body);
  });

  it('sets max-age to the time the URL has left', async () => {
    const { key } = await stored();
    const url = await storage.signedUrl(key, 600);
    nowMs += 200_000;
    try {
      expect((await fetch(url)).headers.get('cache-control')).toBe('private, max-age=400');
    } finally {
      nowMs -= 200_000;
    }
  });

  it('refuses an expired URL with 403', async () => {
    const { key } = await stored();
    const url = await storage.signedUrl(key, 60);
    nowMs += 60_000;
    try {
      const response = await fetch(url);
      expect(response.status).toBe(403);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toBe('Link expired');
    } finally {
      nowMs -= 60_000;
    }
  });

  it('refuses tampered, borrowed and unsigned URLs with 403', async () => {
    const { key } = await stored();
    const other = await stored();
    const url = new URL(await storage.signedUrl(key, 60));
    const sig = url.searchParams.get('sig')!;
    const expires = url.searchParams.get('expires')!;

    const tamperedSig = new URL(url);
    tamperedSig.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    const longerLife = new URL(url);
    longerLife.searchParams.set('expires', String(Number(expires) + 3600));
    const otherKey = new URL(url);
    otherKey.pathname = `/files/${other.key}`;

    for (const bad of [tamperedSig, longerLife, otherKey]) expect((await fetch(bad)).status).toBe(403);
    expect((await fetch(`${baseUrl}/files/${key}`)).status).toBe(403);
    expect((await fetch(`${baseUrl}/files/${key}?expires=${expires}`)).status).toBe(403);
    expect((await fetch(`${baseUrl}/files/${key}?expires=${expires}&sig=`)).status).toBe(403);
    expect((await fetch(`${baseUrl}/files/${key}?expires=${expires}&sig=${sig}&sig=${sig}`)).status).toBe(403);
  });

  it('answers 404 for a signed URL whose object was deleted', async () => {
    const { key } = await stored();
    const url = await storage.signedUrl(key, 60);

    await storage.delete([key]);

    expect((await fetch(url)).status).toBe(404);
  });

  it.each([
    '/files/../outside.txt',
    '/files/img/../../outside.txt',
    '/files/%2e%2e/outside.txt',
    '/files/img/%2e%2e/%2e%2e/outside.txt',
    '/files/..%2Foutside.txt',
    '/files/img%2F..%2F..%2Foutside.txt',
    '/files/%2Fetc%2Fpasswd',
    '/files/img/x/original.meta.json',
  ])('does not follow %s, even with a signature made for that key', async (rawPath) => {
    // What the key would decode to, signed the way signedUrl does (which refuses such keys).
    const key = decodeURIComponent(rawPath.slice('/files/'.length));
    const expires = Math.floor(nowMs / 1000) + 600;
    const sig = createHmac('sha256', SECRET).update(`${key}\n${expires}`).digest('base64url');

    const response = await rawGet(baseUrl, `${rawPath}?expires=${expires}&sig=${sig}`);

    expect(response.status).toBe(404);
    expect(response.body).not.toContain('TOP SECRET');
  });

  it('never signs or writes keys outside its directory', async () => {
    for (const key of ['../outside.txt', '/etc/passwd', 'img/../../x', 'img//x', '.hidden', 'img/x/original.meta.json']) {
      await expect(storage.signedUrl(key, 60)).rejects.toThrow(/Invalid object key/);
      await expect(storage.put(key, Buffer.from('x'), 'text/plain')).rejects.toThrow(/Invalid object key/);
    }
  });

  it('reports existence, overwrites, and deletes an image folder with its sidecars', async () => {
    const base = newObjectKey();
    const keys = imageObjectKeys(base);
    expect(await storage.exists(keys.original)).toBe(false);

    await storage.put(keys.original, Buffer.from('first'), 'image/png');
    await storage.put(keys.original, Buffer.from('second'), 'image/jpeg');
    await storage.put(keys.thumbnail, Buffer.from('thumb'), 'image/webp');

    expect(await storage.exists(keys.original)).toBe(true);
    const response = await fetch(await storage.signedUrl(keys.original, 60));
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(await response.text()).toBe('second');
    const stat = await fs.stat(path.join(root, 'objects', keys.original));
    expect(stat.mode & 0o777).toBe(0o600);

    await storage.delete(Object.values(keys));

    expect(await storage.exists(keys.original)).toBe(false);
    await expect(fs.stat(path.join(root, 'objects', base))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(storage.delete(Object.values(keys))).resolves.toBeUndefined();
  });

  it('is healthy with a writable directory', async () => {
    expect(await storage.isHealthy()).toBe(true);
  });

  it('refuses a short secret', () => {
    expect(() => new LocalObjectStorage({ directory: root, publicBaseUrl: baseUrl, secret: 'short' })).toThrow(/32 bytes/);
  });
});
