import { withRelease } from './iterators';
import type { Subscription } from './pubsub';

/**
 * Where an item stands in its conversation's stream: a message's `sequence` (messageReceived) or
 * a change's `revision` (messageUpdated). Both are handed out under the conversation's row lock,
 * so they commit in order: once n is committed, everything below n is committed too.
 */
export type Position<T> = (item: T) => number;

/**
 * Stored items with `after < position < before` (`before` null: no upper bound), in position
 * order, at most `limit`.
 */
export type HistoryLoader<T> = (after: number, before: number | null, limit: number) => Promise<T[]>;

export interface ReplayOptions<T> {
  /** Items per database round trip. */
  pageSize?: number;
  /** The key (`(m) => m.sequence`, `(m) => m.revision`). */
  position: Position<T>;
}

/** One delivered item and where it came from (replayed items carry no commit time worth measuring). */
export interface Delivery<T> {
  item: T;
  replayed: boolean;
}

/**
 * History after `afterPosition`, then live events, with no gap and no duplicate. One
 * implementation for both keys: for revisions a stored message shows only its latest change,
 * so a position that was superseded is simply absent from storage, and the replay (which reads
 * current states in position order) delivers the message at its newer position instead.
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
export function replayThenLive<T>(
  live: Subscription<T>,
  afterPosition: number,
  load: HistoryLoader<T>,
  options: ReplayOptions<T>,
): AsyncIterableIterator<Delivery<T>> {
  const pageSize = options.pageSize ?? 200;
  const { position } = options;
  let last = afterPosition;

  async function* replay(before: number | null): AsyncGenerator<Delivery<T>> {
    for (;;) {
      const page = await load(last, before, pageSize);
      for (const item of page) {
        if (position(item) <= last) continue;
        last = position(item);
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
      const at = position(item);
      if (at <= last) continue;
      if (at > last + 1) yield* replay(at);
      last = at;
      yield { item, replayed: false };
    }
  }

  return withRelease(run(), () => live.return?.());
}
