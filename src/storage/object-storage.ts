import { randomBytes } from 'node:crypto';

/**
 * Where image bytes live. The bucket (or directory) is private: clients only ever see
 * signed, expiring URLs. Implementations: `S3ObjectStorage` (S3 or compatible) and
 * `LocalObjectStorage` (files under `DATA_DIR`, served by `localFilesRouter`).
 */
export interface ObjectStorage {
  /** Stores `body` under `key`, replacing any object already there. */
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Deletes the objects; keys that do not exist are ignored. */
  delete(keys: string[]): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * A URL that lets anyone holding it GET the object for `ttlSeconds`. It does not check that
   * the object exists: callers sign keys they stored.
   */
  signedUrl(key: string, ttlSeconds: number): Promise<string>;
  /** For readiness checks: false when the store cannot be reached or written; never throws. */
  isHealthy(): Promise<boolean>;
}

/** Keys of the three objects stored for one image message. */
export interface ImageObjectKeys {
  /** The cleaned original, in its uploaded format (JPEG, PNG or WebP). */
  original: string;
  /** WebP, fits 1024x1024. */
  preview: string;
  /** WebP, fits 256x256. */
  thumbnail: string;
}

/**
 * A fresh base key such as `img/3f2a...` (128 random bits, hex). Keys carry no user,
 * conversation or file name, so a leaked URL reveals nothing but the image itself.
 */
export function newObjectKey(): string {
  return `img/${randomBytes(16).toString('hex')}`;
}

/** The keys of an image's original, preview and thumbnail below a base from `newObjectKey`. */
export function imageObjectKeys(base: string): ImageObjectKeys {
  return {
    original: `${base}/original`,
    preview: `${base}/preview.webp`,
    thumbnail: `${base}/thumb.webp`,
  };
}

/** Every key in `imageObjectKeys(base)`, e.g. for `ObjectStorage.delete`. */
export function allImageObjectKeys(base: string): string[] {
  return Object.values(imageObjectKeys(base));
}

const KEY_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_KEY_LENGTH = 512;

/**
 * True for keys made of `/`-separated segments of letters, digits, `.`, `_` and `-`, no
 * segment starting with a dot. Rules out absolute paths, `..`, empty segments and anything
 * a file system or URL would interpret.
 */
export function isValidObjectKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_KEY_LENGTH && key.split('/').every((segment) => KEY_SEGMENT.test(segment));
}

/** Throws unless `isValidObjectKey(key)`; keys are made by the service, so a bad one is a bug. */
export function assertValidObjectKey(key: string): void {
  if (!isValidObjectKey(key)) throw new Error(`Invalid object key: ${JSON.stringify(key)}`);
}
