import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { ImageStatus } from '../schema/common/enums';
import type { ImageStorageService } from './image-storage.service';
import type { Row } from './rows';

export interface ExpiryOptions {
  /** Images handled per transaction (default 100). */
  batchSize?: number;
  /** Images whose delete_after is at or before this are expired (default: now). */
  now?: Date;
}

const DEFAULT_BATCH = 100;

/** What {@link ImageExpiryService} is built from. */
export interface ImageExpiryServiceOptions {
  imageStorage: ImageStorageService;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Deletes the stored objects of images past their `delete_after` (IMAGE_RETENTION_DAYS after
 * upload), then marks them DELETED with their keys cleared. The message stays, its image
 * answers status DELETED and null URLs.
 *
 * Batch by batch, each in its own transaction: rows are locked with SKIP LOCKED, so runs on
 * several instances share the work, and the objects are deleted before the rows are marked.
 * If a run dies between the two, the next one deletes again (missing objects are ignored) and
 * marks: running it twice is harmless.
 */
export class ImageExpiryService {
  constructor(private readonly options: ImageExpiryServiceOptions) {}

  /** Expires every image due; answers how many it marked DELETED. */
  async deleteExpired(em: EntityManager, options: ExpiryOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const now = options.now ?? new Date();
    let total = 0;
    for (;;) {
      const done = await em.transactional((tx) => this.expireBatch(tx as EntityManager, now, batchSize));
      total += done;
      if (done > 0) this.options.logger.info({ images: done, total }, 'expired images deleted');
      if (done < batchSize) return total;
    }
  }

  private async expireBatch(tx: EntityManager, now: Date, batchSize: number): Promise<number> {
    const rows: Row[] = await tx.execute(
      `select id, original_key, preview_key, thumbnail_key from message_images
       where status <> ? and delete_after <= ?
       order by delete_after
       limit ? for update skip locked`,
      [ImageStatus.DELETED, now, batchSize],
    );
    if (rows.length === 0) return 0;
    const keys = rows.flatMap((row) => [row.original_key, row.preview_key, row.thumbnail_key]).filter((key): key is string => typeof key === 'string');
    await this.options.imageStorage.remove(keys);
    await tx.execute(
      `update message_images set status = ?, original_key = null, preview_key = null, thumbnail_key = null
       where id = any(array[?]::uuid[])`,
      [ImageStatus.DELETED, rows.map((row) => String(row.id))],
    );
    this.options.metrics.imagesExpired.inc(rows.length);
    return rows.length;
  }
}
