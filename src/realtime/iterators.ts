/**
 * Small async-iterator combinators for subscriptions. Unlike async generators, whose
 * `return()` waits behind a pending `next()`, these release their source at once: a client
 * that unsubscribes frees its pub/sub subscription immediately, not at the next event.
 * (Kept beside SubscriptionQueue rather than moved onto @repeaterjs/repeater: see the reason
 * there; a map and a release hook are a few lines each.)
 */

/**
 * Maps each value of `source` with `fn`; `undefined` drops the value (a filter). `return()`
 * and `throw()` release `source` right away.
 */
export function mapIterator<T, R>(
  source: AsyncIterator<T>,
  fn: (value: T) => R | undefined | Promise<R | undefined>,
): AsyncIterableIterator<R> {
  const iterator: AsyncIterableIterator<R> = {
    async next() {
      for (;;) {
        const result = await source.next();
        if (result.done) return { value: undefined, done: true };
        const mapped = await fn(result.value);
        if (mapped !== undefined) return { value: mapped, done: false };
      }
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * Wraps an async generator so that `return()` first runs `release` (e.g. ending the live
 * subscription the generator is awaiting), which unblocks the generator, then returns it.
 */
export function withRelease<T>(generator: AsyncGenerator<T>, release: () => unknown): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    next: () => generator.next(),
    async return() {
      await release();
      await generator.return(undefined);
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await release();
      await generator.return(undefined);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
