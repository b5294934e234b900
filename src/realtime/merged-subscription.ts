import type { Subscription } from './pubsub';
import { SubscriptionQueue } from './subscription-queue';

/**
 * Several subscriptions read as one, in arrival order; sources can be added while it runs
 * (e.g. a new contact's presence topic). The first source to end or fail ends it, so a pub/sub
 * shutdown is never mistaken for silence. `return()` releases every source.
 *
 * Kept instead of Repeater.merge: sources are added while it runs, and it shares the bounded
 * buffer of {@link SubscriptionQueue} that ends a slow subscriber (see there why no Repeater).
 */
export class MergedSubscription<T> implements Subscription<T> {
  readonly ready: Promise<void>;
  private readonly output: SubscriptionQueue<T>;
  private readonly sources = new Set<Subscription<T>>();

  /**
   * @param onClose runs once when the merged subscription ends, for resources beside the sources.
   * @param maxBuffered events kept for a slow consumer (see {@link SubscriptionQueue}).
   */
  constructor(
    private readonly onClose: () => void = () => {},
    maxBuffered?: number,
  ) {
    this.output = new SubscriptionQueue<T>(Promise.resolve(), () => this.releaseAll(), maxBuffered);
    this.ready = this.output.ready;
  }

  get isClosed(): boolean {
    return this.output.isClosed;
  }

  /** Starts reading `source`; resolves when it is ready (events can no longer be missed). */
  add(source: Subscription<T>): Promise<void> {
    if (this.output.isClosed) {
      void source.return?.();
      return Promise.resolve();
    }
    this.sources.add(source);
    void this.pump(source);
    return source.ready;
  }

  next(): Promise<IteratorResult<T>> {
    return this.output.next();
  }

  return(): Promise<IteratorResult<T>> {
    return this.output.return();
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    return this.output.throw(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async pump(source: Subscription<T>): Promise<void> {
    try {
      for (;;) {
        const result = await source.next();
        if (result.done) break;
        this.output.push(result.value);
      }
      this.output.end();
    } catch (error) {
      this.output.fail(error);
    } finally {
      this.sources.delete(source);
    }
  }

  private releaseAll(): void {
    for (const source of [...this.sources]) void source.return?.();
    this.sources.clear();
    this.onClose();
  }
}
