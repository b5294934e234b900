import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../../observability/logger';
import type { ObjectStorage } from '../../storage/object-storage';
import type { Row } from '../rows';

/** Keys deleted per storage call. */
const BATCH = 100;
// Key lists travel as one JSON bind parameter: MikroORM's execute() would expand an array.

/**
 * Records keys to delete at `notBefore` (default: now), in the caller's transaction; `userId`
 * when the objects hold that user's data (an export), so that erasing them makes them due.
 */
export async function queueObjectDeletes(tx: EntityManager, keys: string[], notBefore: Date | null = null, userId: string | null = null): Promise<void> {
  if (keys.length === 0) return;
  await tx.execute(
    `insert into pending_object_deletes (key, not_before, user_id) select jsonb_array_elements_text(?::jsonb), coalesce(?::timestamptz, now()), ?::uuid on conflict (key) do nothing`,
    [JSON.stringify(keys), notBefore?.toISOString() ?? null, userId],
  );
}

/** An erased user's exports become due now. */
export async function expediteUserObjects(tx: EntityManager, userId: string): Promise<void> {
  await tx.execute('update pending_object_deletes set not_before = now() where user_id = ?', [userId]);
}

/**
 * Works off pending_object_deletes: deletes the due objects in batches and their rows after the
 * storage said yes. A failing storage leaves the rows (attempts + 1) for the next run, so a key
 * is deleted at least once whatever crashes; deleting a missing object is not an error.
 */
export async function deletePendingObjects(em: EntityManager, storage: ObjectStorage, logger: Logger): Promise<number> {
  let deleted = 0;
  for (;;) {
    const rows: Row[] = await em.execute(`select key from pending_object_deletes where not_before <= now() order by not_before, key limit ?`, [BATCH]);
    if (rows.length === 0) return deleted;
    const keys = rows.map((row) => String(row.key));
    try {
      await storage.delete(keys);
    } catch (error) {
      await em.execute(`update pending_object_deletes set attempts = attempts + 1 where key in (select jsonb_array_elements_text(?::jsonb))`, [JSON.stringify(keys)]);
      logger.warn({ err: error, keys: keys.length }, 'pending object deletes failed; retried by the next run');
      return deleted;
    }
    await em.execute(`delete from pending_object_deletes where key in (select jsonb_array_elements_text(?::jsonb))`, [JSON.stringify(keys)]);
    deleted += keys.length;
  }
}
