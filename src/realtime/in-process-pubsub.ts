import type { PubSub, Subscription } from './pubsub';
import { SubscriptionQueue } from './subscription-queue';
import type { Topic, TopicKind, TopicPayloads } from './topics';

/**
 * Pub/sub inside one process. Serves a single instance only; payloads go through a JSON round
 * trip so that subscribers see exactly what they would see through Redis. Each subscriber gets
 * a bounded {@link SubscriptionQueue}, as with Redis, so a stalled consumer cannot grow memory.
 */
export class InProcessPubSub implements PubSub {
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();
  private readonly live = new Set<SubscriptionQueue<unknown>>();

  /** @param maxBuffered events kept per subscriber that is slower than its topic. Default 1000. */
  constructor(private readonly maxBuffered?: number) {}

  async publish<K extends TopicKind>(topic: Topic<K>, payload: TopicPayloads[K]): Promise<void> {
    const json = JSON.stringify(payload);
    for (const listener of this.listeners.get(topic) ?? []) listener(json);
  }

  subscribe<K extends TopicKind>(topic: Topic<K>): Subscription<TopicPayloads[K]> {
    const set = this.listeners.get(topic) ?? new Set();
    this.listeners.set(topic, set);
    const release = () => {
      this.live.delete(queue as SubscriptionQueue<unknown>);
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(topic) === set) this.listeners.delete(topic);
    };
    const queue = new SubscriptionQueue<TopicPayloads[K]>(Promise.resolve(), release, this.maxBuffered);
    const listener = (json: string) => queue.push(JSON.parse(json) as TopicPayloads[K]);
    set.add(listener);
    this.live.add(queue as SubscriptionQueue<unknown>);
    return queue;
  }

  async isHealthy(): Promise<boolean> {
    return true;
  }

  /** Ends every live subscription (consumers see `done`). */
  async close(): Promise<void> {
    for (const queue of [...this.live]) queue.end();
    this.listeners.clear();
  }
}
