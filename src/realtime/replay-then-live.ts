import { withRelease } from './iterators';
import type { Subscription } from './pubsub';

/** Something with a position in its conversation: 1, 2, 3, ... without gaps. */
export interface Sequenced {
  sequence: number;
}

/**
 * Stored items with `after < sequence < before` (`before` null: no upper bound), oldest first,
 * at most `limit`.
 */
export type HistoryLoader<T extends Sequenced> = (after: number, before: number | null, limit: number) => Promise<T[]>;

/** One delivered item and where it came from (replayed items carry no commit time worth measuring). */
export interface Delivery<T> {
  item: T;
  replayed: boolean;
}

/**
 * History after `afterSequence`, then live events, with no gap and no duplicate.
 *
 * 1. Waits until `live` is ready, so nothing published from now on can be missed.
 * 2. Replays stored items in pages of `pageSize`.
 * 3. Emits live items, dropping those the replay already sent. A live item further ahead than
 *    the next expected one (publishes of concurrent commits can arrive out of order, or some
 *    were lost while Redis was away) first fills the hole from storage: sequences are handed
 *    out under a row lock, so once item n is committed every item below n is committed too.
 *
 * `return()` releases `live` at once, even while the replay is waiting for the database.
 */
export function replayThenLive<T extends Sequenced>(
  live: Subscription<T>,
  afterSequence: number,
  load: HistoryLoader<T>,
  pageSize = 200,
): AsyncIterableIterator<Delivery<T>> {
  let last = afterSequence;

  async function* replay(before: number | null): AsyncGenerator<Delivery<T>> {
    for (;;) {
      const page = await load(last, before, pageSize);
      for (const item of page) {
        if (item.sequence <= last) continue;
        last = item.sequence;
        yield { item, replayed: true };
      }
      if (page.length < pageSize) return;
    }
  }

  async function* run(): AsyncGenerator<Delivery<T>> {
    await live.ready;
    yield* replay(null);
    for (;;) {
      const result = await live.next();
      if (result.done) return;
      const item = result.value;
      if (item.sequence <= last) continue;
      if (item.sequence > last + 1) yield* replay(item.sequence);
      last = item.sequence;
      yield { item, replayed: false };
    }
  }

  return withRelease(run(), () => live.return?.());
}
