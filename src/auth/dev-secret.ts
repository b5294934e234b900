import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** File name of the generated development JWT secret inside `DATA_DIR`. */
export const DEV_SECRET_FILE = 'dev-jwt-secret';

/** Shorter contents mean a damaged file: the config refuses JWT secrets under 32 characters. */
const MIN_SECRET_LENGTH = 32;

/**
 * Returns the development JWT secret kept in `${dataDir}/dev-jwt-secret`, generating it
 * (48 random bytes, base64url) on first use. Only for development and tests: the config
 * refuses to start production without JWT_SECRET or JWT_PUBLIC_KEY.
 */
export function loadOrCreateDevSecret(dataDir: string): Promise<string> {
  return loadOrCreateSecretFile(path.join(dataDir, DEV_SECRET_FILE));
}

/**
 * Reads a secret from `file`, or creates the file (mode 0600) with `bytes` random bytes in
 * base64url. Creation is atomic and exclusive: processes starting together (server, worker,
 * `npm run token`) all end up with the same secret, and a crash never leaves a half-written file.
 */
export async function loadOrCreateSecretFile(file: string, bytes = 48): Promise<string> {
  const existing = await readSecret(file);
  if (existing !== undefined) return existing;

  await fs.mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(bytes).toString('base64url');
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temporary, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  try {
    // link() fails when the target exists, unlike rename(): the first writer wins.
    await fs.link(temporary, file);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readSecret(file);
    if (winner === undefined) throw error;
    return winner;
  } finally {
    await fs.unlink(temporary).catch(() => undefined);
  }
}

async function readSecret(file: string): Promise<string | undefined> {
  let contents: string;
  try {
    contents = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = contents.trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`${file} holds no usable secret (under ${MIN_SECRET_LENGTH} characters); delete it to generate a new one`);
  }
  return secret;
}
