import type { ProcessedImage } from '../images/image-processor';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { imageObjectKeys, newObjectKey, type ImageObjectKeys, type ObjectStorage } from '../storage/object-storage';

/** How long a readiness probe waits for the storage before calling it unhealthy. */
const HEALTH_TIMEOUT_MS = 2000;

/** What {@link ImageStorageService} is built from. */
export interface ImageStorageServiceOptions {
  storage: ObjectStorage;
  urlTtlSeconds: number;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The image side of object storage: writes an image's three renditions under fresh random
 * keys, deletes them, and signs keys into expiring URLs. The bucket stays private; URLs are
 * made when a field is resolved, so every answer carries fresh ones.
 */
export class ImageStorageService {
  constructor(private readonly options: ImageStorageServiceOptions) {}

  /**
   * Stores the original, preview and thumbnail of `image` and answers their keys. When one
   * write fails, the ones that succeeded are deleted before the error is passed on, so a
   * failed upload leaves no object behind.
   */
  async save(image: ProcessedImage): Promise<ImageObjectKeys> {
    const keys = imageObjectKeys(newObjectKey());
    const renditions = [
      { name: 'original', key: keys.original, body: image.original, type: image.mimeType },
      { name: 'preview', key: keys.preview, body: image.preview, type: 'image/webp' },
      { name: 'thumbnail', key: keys.thumbnail, body: image.thumbnail, type: 'image/webp' },
    ];
    const results = await Promise.allSettled(renditions.map((r) => this.options.storage.put(r.key, r.body, r.type)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.removeQuietly(Object.values(keys));
      throw failed.reason;
    }
    for (const r of renditions) this.options.metrics.imageStoredBytes.inc({ rendition: r.name }, r.body.length);
    return keys;
  }

  /** Deletes objects; keys that do not exist are ignored. Throws when the storage fails. */
  remove(keys: string[]): Promise<void> {
    return keys.length === 0 ? Promise.resolve() : this.options.storage.delete(keys);
  }

  /**
   * `remove` for clean-up paths, where an error of its own must not hide the one being
   * handled: a failure is logged with the keys (random, they reveal nothing) and swallowed.
   */
  async removeQuietly(keys: string[]): Promise<void> {
    await this.remove(keys).catch((err: unknown) => this.options.logger.error({ err, keys }, 'could not delete image objects; they are orphaned'));
  }

  /** A fresh signed GET URL for `key`, valid for IMAGE_URL_TTL_SECONDS. */
  signedUrl(key: string): Promise<string> {
    return this.options.storage.signedUrl(key, this.options.urlTtlSeconds);
  }

  /** Whether the storage answers within two seconds; for /readyz. Never throws. */
  async isHealthy(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.options.storage.isHealthy().catch(() => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
