import type { Subscription } from './pubsub';

/** Raised to a consumer that fell further behind than `maxBuffered` events. */
export class SubscriberTooSlowError extends Error {
  constructor(readonly maxBuffered: number) {
    super(`subscriber fell more than ${maxBuffered} events behind`);
    this.name = 'SubscriberTooSlowError';
  }
}

/**
 * A push-fed {@link Subscription}: a transport pushes events in, the consumer pulls them out.
 * `onClose` runs once, whether the consumer returns, throws, or the transport ends it.
 *
 * Kept instead of @repeaterjs/repeater on purpose: a Repeater's full buffer makes `push()` wait
 * (backpressure) and a Repeater stopped with an error still delivers its buffered values first,
 * whereas a slow subscriber here must fail at once, its stale buffer dropped, so that the socket
 * closes with 4008 and the client resumes from the database. The transport's push is also
 * synchronous and `ready` (SUBSCRIBE acknowledged, or failed) is part of the type.
 */
export class SubscriptionQueue<T> implements Subscription<T> {
  readonly ready: Promise<void>;
  private readonly buffer: T[] = [];
  private readonly waiters: Array<{
    resolve: (result: IteratorResult<T>) => void;
    reject: (error: unknown) => void;
  }> = [];
  private closed = false;
  private pendingFailure: { error: unknown } | null = null;

  /**
   * @param ready resolves once events can no longer be missed; a rejection fails the queue.
   * @param onClose releases the transport's subscription.
   * @param maxBuffered events kept for a slow consumer; one more ends the subscription with
   *   {@link SubscriberTooSlowError} rather than silently dropping an event (a gap).
   */
  constructor(
    ready: Promise<void>,
    private readonly onClose: () => void,
    private readonly maxBuffered = 1000,
  ) {
    this.ready = ready;
    // The caller may never await `ready`; a failed SUBSCRIBE must not become an unhandled rejection.
    ready.catch((error: unknown) => this.fail(error));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  push(value: T): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ value, done: false });
      return;
    }
    if (this.buffer.length >= this.maxBuffered) {
      this.fail(new SubscriberTooSlowError(this.maxBuffered));
      return;
    }
    this.buffer.push(value);
  }

  /** Ends the subscription with an error: the waiting `next()` calls, or else the next one, reject with it. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.buffer.length = 0;
    this.finish();
    const waiters = this.waiters.splice(0);
    if (waiters.length === 0) this.pendingFailure = { error };
    for (const waiter of waiters) waiter.reject(error);
  }

  /** Ends the subscription normally: buffered events are dropped, consumers see `done`. */
  end(): void {
    if (this.closed) return;
    this.buffer.length = 0;
    this.finish();
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.pendingFailure) {
      const { error } = this.pendingFailure;
      this.pendingFailure = null;
      return Promise.reject(error);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    this.closed = true;
    this.onClose();
  }
}
