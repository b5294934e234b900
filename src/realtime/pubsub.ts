import type { Topic, TopicKind, TopicPayloads } from './topics';

/** A live subscription: iterate it for events; `ready` resolves once events can no longer be missed. */
export interface Subscription<T> extends AsyncIterableIterator<T> {
  ready: Promise<void>;
}

/**
 * The one pub/sub interface of the service. In-process when REDIS_URL is unset (one instance),
 * Redis when it is set (any number of instances). Publishers call it after commit.
 */
export interface PubSub {
  publish<K extends TopicKind>(topic: Topic<K>, payload: TopicPayloads[K]): Promise<void>;
  subscribe<K extends TopicKind>(topic: Topic<K>): Subscription<TopicPayloads[K]>;
  /** True when the transport is usable (readiness probe). */
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}
