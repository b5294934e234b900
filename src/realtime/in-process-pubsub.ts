import type { PubSub, Subscription } from './pubsub';
import type { Topic, TopicKind, TopicPayloads } from './topics';

/**
 * Pub/sub inside one process. Serves a single instance only; payloads go through a JSON round
 * trip so that subscribers see exactly what they would see through Redis.
 */
export class InProcessPubSub implements PubSub {
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();

  async publish<K extends TopicKind>(topic: Topic<K>, payload: TopicPayloads[K]): Promise<void> {
    const json = JSON.stringify(payload);
    for (const listener of this.listeners.get(topic) ?? []) listener(json);
  }

  subscribe<K extends TopicKind>(topic: Topic<K>): Subscription<TopicPayloads[K]> {
    const queue: TopicPayloads[K][] = [];
    let waiting: ((result: IteratorResult<TopicPayloads[K]>) => void) | null = null;
    let done = false;
    const listener = (json: string) => {
      const value = JSON.parse(json) as TopicPayloads[K];
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value, done: false });
      } else {
        queue.push(value);
      }
    };
    const set = this.listeners.get(topic) ?? new Set();
    set.add(listener);
    this.listeners.set(topic, set);

    const stop = () => {
      done = true;
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(topic);
      if (waiting) waiting({ value: undefined, done: true });
      waiting = null;
    };
    const iterator: Subscription<TopicPayloads[K]> = {
      ready: Promise.resolve(),
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: () => {
        stop();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (error) => {
        stop();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  async isHealthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
