import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isValidObjectKey, type ObjectStorage } from './object-storage';

/** Suffix of the JSON file beside each object that records its content type. */
const META_SUFFIX = '.meta.json';
const TMP_SUFFIX = '.tmp';
const MIN_SECRET_BYTES = 32;

export interface LocalStorageOptions {
  /** Root of the stored objects, e.g. `${DATA_DIR}/objects`; created when missing. */
  directory: string;
  /**
   * The service's public origin (and path prefix, if any) as clients reach it, e.g.
   * `https://chat.example.com`; signed URLs are `${publicBaseUrl}/files/<key>?expires=&sig=`.
   * A function is asked on every signing: the default origin depends on the port the server
   * is bound to, known only after it listens.
   */
  publicBaseUrl: string | (() => string);
  /**
   * HMAC key of the URL signatures, at least 32 bytes. It must be the same on every instance
   * and survive restarts, or issued URLs stop working.
   */
  secret: string | Buffer;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

/** An object found by `LocalObjectStorage.open`. */
export interface LocalObject {
  filePath: string;
  contentType: string;
  size: number;
}

/** Why `LocalObjectStorage.verify` refused a URL. */
export type SignatureCheck = 'ok' | 'invalid' | 'expired';

/**
 * `ObjectStorage` on the local disk, for single-instance deployments without S3. Objects are
 * files under `directory` (mode 0600), each with a `.meta.json` sidecar holding its content
 * type. Writes go to a temporary file and are renamed into place, so readers never see a
 * partial object.
 */
export class LocalObjectStorage implements ObjectStorage {
  private readonly directory: string;
  private readonly baseUrl: () => string;
  private readonly secret: Buffer;
  private readonly now: () => number;

  constructor(options: LocalStorageOptions) {
    this.directory = path.resolve(options.directory);
    const { publicBaseUrl } = options;
    this.baseUrl = () => (typeof publicBaseUrl === 'string' ? publicBaseUrl : publicBaseUrl()).replace(/\/+$/, '');
    this.secret = Buffer.isBuffer(options.secret) ? options.secret : Buffer.from(options.secret, 'utf8');
    if (this.secret.length < MIN_SECRET_BYTES) {
      throw new Error(`Local storage URL secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    this.now = options.now ?? Date.now;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    const filePath = this.pathOf(key);
    await fs.mkdir(path.dirname(filePath), { recursive: true, mode: 0o700 });
    // Sidecar first: an object whose data file exists always has its content type.
    await writeAtomically(filePath + META_SUFFIX, JSON.stringify({ contentType }));
    await writeAtomically(filePath, body);
  }

  async delete(keys: string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      const filePath = this.pathOf(key);
      await fs.rm(filePath, { force: true });
      await fs.rm(filePath + META_SUFFIX, { force: true });
      dirs.add(path.dirname(filePath));
    }
    // An image's objects share a folder (`img/<id>/`); drop it once empty.
    for (const dir of dirs) {
      if (dir !== this.directory) await fs.rmdir(dir).catch(() => undefined);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.open(key)) !== null;
  }

  async signedUrl(key: string, ttlSeconds: number): Promise<string> {
    assertLocalKey(key);
    const expires = Math.floor(this.now() / 1000) + Math.max(1, Math.floor(ttlSeconds));
    const encodedKey = key.split('/').map(encodeURIComponent).join('/');
    return `${this.baseUrl()}/files/${encodedKey}?expires=${expires}&sig=${this.sign(key, expires)}`;
  }

  async isHealthy(): Promise<boolean> {
    try {
      await fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
      await fs.access(this.directory, constants.R_OK | constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Checks a URL's `expires` (epoch seconds) and `sig` for `key`, in constant time. Does not
   * look at the disk, so an unsigned request learns nothing about which objects exist.
   */
  verify(key: string, expires: unknown, sig: unknown): SignatureCheck {
    if (!isLocalKey(key) || typeof expires !== 'string' || typeof sig !== 'string') return 'invalid';
    if (!/^\d{1,12}$/.test(expires)) return 'invalid';
    const expected = Buffer.from(this.sign(key, Number(expires)));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return this.secondsLeft(Number(expires)) > 0 ? 'ok' : 'expired';
  }

  /** Seconds until `expires` (epoch seconds); zero or less once it has passed. */
  secondsLeft(expires: number): number {
    return expires - Math.floor(this.now() / 1000);
  }

  /** The file and content type of a stored object, or null when there is none. */
  async open(key: string): Promise<LocalObject | null> {
    const filePath = this.pathOf(key);
    try {
      const [stat, meta] = await Promise.all([fs.stat(filePath), fs.readFile(filePath + META_SUFFIX, 'utf8')]);
      if (!stat.isFile()) return null;
      const { contentType } = JSON.parse(meta) as { contentType?: unknown };
      return {
        filePath,
        contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
        size: stat.size,
      };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  private sign(key: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${key}\n${expires}`).digest('base64url');
  }

  /** The file of `key`; valid keys cannot leave `directory`, and this checks it once more. */
  private pathOf(key: string): string {
    assertLocalKey(key);
    const filePath = path.resolve(this.directory, key);
    if (!filePath.startsWith(this.directory + path.sep)) throw new Error(`Invalid object key: ${JSON.stringify(key)}`);
    return filePath;
  }
}

/** A valid object key that cannot name a sidecar or a file being written. */
export function isLocalKey(key: string): boolean {
  return isValidObjectKey(key) && !key.endsWith(META_SUFFIX) && !key.endsWith(TMP_SUFFIX);
}

function assertLocalKey(key: string): void {
  if (!isLocalKey(key)) throw new Error(`Invalid object key: ${JSON.stringify(key)}`);
}

async function writeAtomically(filePath: string, data: Buffer | string): Promise<void> {
  const tmp = `${filePath}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`;
  try {
    await fs.writeFile(tmp, data, { mode: 0o600 });
    await fs.rename(tmp, filePath);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
