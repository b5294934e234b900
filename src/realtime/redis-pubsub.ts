import { RedisPubSub as RedisEngine } from 'graphql-redis-subscriptions';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger';
import type { PubSub, Subscription } from './pubsub';
import { closeRedisConnection, createRedisConnection, pingRedis } from './redis-connection';
import { SubscriptionQueue } from './subscription-queue';
import type { Topic, TopicKind, TopicPayloads } from './topics';

/** Which of the two connections reconnected. */
export type RedisConnectionRole = 'publisher' | 'subscriber';

/** Options of {@link RedisPubSub}. */
export interface RedisPubSubOptions {
  /** `redis://` or `rediss://` URL; the publisher and the subscriber each open a connection. */
  url: string;
  logger: Logger;
  /** Prepended to every channel, so that deployments (or test runs) can share one Redis. Default ''. */
  channelPrefix?: string;
  /** Restores values while parsing payloads (e.g. Dates); payloads are plain JSON otherwise. */
  reviver?: (key: string, value: unknown) => unknown;
  /** Events kept per subscriber that is slower than its topic; one more ends that subscription. Default 1000. */
  maxBuffered?: number;
  /** Reconnect backoff: first delay, doubling per attempt up to `retryMaxMs`. Defaults 100 / 5000 ms. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Reconnect attempts a PUBLISH or SUBSCRIBE may wait for before failing. Default 3. */
  maxRetriesPerRequest?: number;
  /** Called after every successful reconnect of either connection (e.g. to count it in a metric). */
  onReconnect?: (role: RedisConnectionRole) => void;
  /** Names the connections in `CLIENT LIST` as `<name>:publisher` / `<name>:subscriber`. Default 'messaging'. */
  connectionName?: string;
}

/**
 * The {@link PubSub} for several instances, over graphql-redis-subscriptions and ioredis.
 *
 * The library sends SUBSCRIBE only on its iterator's first `next()`, which is too late for a
 * replay-then-live subscription. Here `subscribe()` calls the engine's `subscribe(trigger, cb)`
 * at once, whose promise resolves after Redis confirmed the SUBSCRIBE: that is `ready`.
 * Subscribers of one topic share one Redis subscription (the engine counts references).
 */
export class RedisPubSub implements PubSub {
  private readonly engine: RedisEngine;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly live = new Set<SubscriptionQueue<unknown>>();
  private readonly reconnectListeners = new Set<(role: RedisConnectionRole) => void>();
  private reconnectCount = 0;
  private closed = false;

  constructor(private readonly options: RedisPubSubOptions) {
    const { url, logger, connectionName = 'messaging' } = options;
    if (options.onReconnect) this.reconnectListeners.add(options.onReconnect);
    const connect = (role: RedisConnectionRole) =>
      createRedisConnection(url, {
        autoPipelining: role === 'publisher',
        name: `${connectionName}:${role}`,
        logger,
        retryBaseMs: options.retryBaseMs,
        retryMaxMs: options.retryMaxMs,
        maxRetriesPerRequest: options.maxRetriesPerRequest,
        onReconnect: () => this.reconnected(role),
        create: role === 'subscriber' ? (connectionUrl, redisOptions) => new SubscriberConnection(connectionUrl, redisOptions, logger) : undefined,
      });
    this.publisher = connect('publisher');
    this.subscriber = connect('subscriber');
    this.engine = new RedisEngine({
      publisher: this.publisher,
      subscriber: this.subscriber,
      // Hand the raw JSON through: each subscriber parses its own copy (as in-process does),
      // so one consumer mutating a payload cannot change what another one sees.
      deserializer: (source) => source.toString(),
    });
  }

  /** Successful reconnects of either connection since start. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /** Registers a reconnect listener (for metrics); returns its removal. */
  onReconnect(listener: (role: RedisConnectionRole) => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async publish<K extends TopicKind>(topic: Topic<K>, payload: TopicPayloads[K]): Promise<void> {
    if (this.closed) throw new Error('RedisPubSub is closed');
    await this.engine.publish(this.channel(topic), payload);
  }

  subscribe<K extends TopicKind>(topic: Topic<K>): Subscription<TopicPayloads[K]> {
    type T = TopicPayloads[K];
    if (this.closed) {
      const queue = new SubscriptionQueue<T>(Promise.reject(new Error('RedisPubSub is closed')), () => {});
      return queue;
    }
    let subscriptionId: number | null = null;
    let queue: SubscriptionQueue<T> | null = null;
    const release = () => {
      this.live.delete(queue as SubscriptionQueue<unknown>);
      // Before `ready` the id is unknown: the `then` below releases it once it arrives.
      if (subscriptionId !== null) this.engine.unsubscribe(subscriptionId);
      subscriptionId = null;
    };
    const channel = this.channel(topic);
    const subscribed = this.engine.subscribe<string>(channel, (json) => {
      const value = this.parse(json, topic);
      if (value !== undefined) queue?.push(value as T);
    });
    this.handlePendingSubscribe(channel);
    const ready = subscribed
      .then((id) => {
        if (queue?.isClosed) this.engine.unsubscribe(id);
        else subscriptionId = id;
      });
    queue = new SubscriptionQueue<T>(ready, release, this.options.maxBuffered);
    this.live.add(queue as SubscriptionQueue<unknown>);
    return queue;
  }

  /** True when both connections answer PING within a second (readiness probe). */
  async isHealthy(): Promise<boolean> {
    if (this.closed) return false;
    const [publisher, subscriber] = await Promise.all([pingRedis(this.publisher), pingRedis(this.subscriber)]);
    return publisher && subscriber;
  }

  /** Ends every live subscription (consumers see `done`) and quits both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const queue of [...this.live]) queue.end();
    await Promise.all([closeRedisConnection(this.publisher), closeRedisConnection(this.subscriber)]);
  }

  /**
   * graphql-redis-subscriptions 2.7 keeps a second promise (a "Deferred") per channel while its
   * SUBSCRIBE is under way, for later subscribers of the same channel, and rejects it when the
   * SUBSCRIBE fails. With no later subscriber nothing listens to it: while Redis was down, the
   * first subscription to a new channel ended the process with an unhandled
   * MaxRetriesPerRequestError. The failure itself reaches this subscription through the promise
   * `subscribe` returned; here the Deferred only gets a handler.
   */
  private handlePendingSubscribe(channel: string): void {
    const engine = this.engine as unknown as { subsPendingRefsMap?: Map<string, { pending?: { catch?: (onRejected: () => void) => unknown } }> };
    engine.subsPendingRefsMap?.get(channel)?.pending?.catch?.(() => {});
  }

  private channel(topic: string): string {
    return `${this.options.channelPrefix ?? ''}${topic}`;
  }

  private parse(json: string, topic: string): unknown {
    try {
      return JSON.parse(json, this.options.reviver as Parameters<typeof JSON.parse>[1]);
    } catch (error) {
      this.options.logger.error({ topic, err: error }, 'dropped a pub/sub payload that is not JSON');
      return undefined;
    }
  }

  private reconnected(role: RedisConnectionRole): void {
    this.reconnectCount += 1;
    for (const listener of this.reconnectListeners) {
      try {
        listener(role);
      } catch (error) {
        this.options.logger.error({ err: error }, 'reconnect listener failed');
      }
    }
  }
}

/**
 * The subscriber connection. graphql-redis-subscriptions calls UNSUBSCRIBE / PUNSUBSCRIBE without
 * handling the returned promise. While Redis is away those reject, and an unhandled rejection ends
 * a Node process. At worst ioredis resubscribes the channel on reconnect and its messages find no
 * listener, so logging the failure is enough. A subclass, not a patched instance: the library
 * offers no hook for it.
 */
class SubscriberConnection extends Redis {
  constructor(
    url: string,
    options: RedisOptions,
    private readonly logger: Logger,
  ) {
    super(url, options);
  }

  override unsubscribe(...args: unknown[]): Promise<unknown> {
    return this.logFailure('unsubscribe', (super.unsubscribe as (...a: unknown[]) => Promise<unknown>).apply(this, args));
  }

  override punsubscribe(...args: unknown[]): Promise<unknown> {
    return this.logFailure('punsubscribe', (super.punsubscribe as (...a: unknown[]) => Promise<unknown>).apply(this, args));
  }

  private logFailure(command: string, result: Promise<unknown>): Promise<unknown> {
    result.catch((error: unknown) => this.logger.warn({ err: error, command }, 'redis unsubscribe failed'));
    return result;
  }
}
