import path from 'node:path';
import { loadOrCreateSecretFile } from '../auth/dev-secret';
import type { Config } from '../config';
import { LocalObjectStorage } from './local-storage';
import type { ObjectStorage } from './object-storage';
import { S3ObjectStorage } from './s3-storage';

/** File name of the generated local-storage URL secret inside `DATA_DIR`. */
export const LOCAL_STORAGE_SECRET_FILE = 'local-storage-secret';

export interface CreateStorageOptions {
  /**
   * The port the server listens on, for the default public URL (`http://localhost:PORT`) when
   * PUBLIC_URL is unset; asked when a URL is signed, since port 0 is only resolved by listen().
   */
  boundPort?: () => number;
}

/**
 * The object storage of the config: S3 (or compatible) when S3_BUCKET is set, otherwise files
 * under `DATA_DIR/objects`, served by the service itself (`localFilesRouter`) under URLs
 * signed with LOCAL_STORAGE_SECRET or a secret generated once into DATA_DIR.
 */
export async function createObjectStorage(config: Config, options: CreateStorageOptions = {}): Promise<ObjectStorage> {
  const { s3, localSecret, publicUrl } = config.storage;
  if (s3) return new S3ObjectStorage(s3);
  const secret = localSecret ?? (await loadOrCreateSecretFile(path.join(config.dataDir, LOCAL_STORAGE_SECRET_FILE)));
  const boundPort = options.boundPort ?? (() => config.port);
  return new LocalObjectStorage({
    directory: path.join(config.dataDir, 'objects'),
    publicBaseUrl: publicUrl ?? (() => `http://localhost:${boundPort()}`),
    secret,
  });
}

/** Releases what a storage holds open (the S3 client's sockets); local storage holds nothing. */
export function closeObjectStorage(storage: ObjectStorage): void {
  if (storage instanceof S3ObjectStorage) storage.close();
}
