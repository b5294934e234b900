import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from '../realtime/lua-script';
import { rateLimited } from '../errors';
import type { Logger } from '../observability/logger';

const WINDOW_MS = 3600 * 1000;
/** A Redis answer slower than this counts as Redis being unreachable: the send goes on in memory. */
const REDIS_TIMEOUT_MS = 1000;

/**
 * One sliding log per user: a sorted set of the sends of the last hour, scored by time. In one
 * script (one round trip): drop entries older than the window; a send whose idempotency key is
 * already logged takes no point; a full log answers the milliseconds until its oldest entry
 * leaves; else the send is logged. Returns {1, 0} counted, {0, 0} already counted, {-1, ms} refused.
 */
const SLIDING_LOG = new LuaScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return {0, 0} end
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {-1, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
`);

/** A point a send took; handed back to {@link MessageRateLimiter.refund} when nothing was stored. */
export interface RatePoint {
  readonly userId: string;
  readonly member: string;
  readonly store: 'redis' | 'memory';
}

/** Options of {@link MessageRateLimiter.create}. */
export interface MessageRateLimiterOptions {
  redis?: Redis;
  keyPrefix?: string;
  logger?: Logger;
  /** The clock; tests move it. */
  now?: () => number;
}

/**
 * Messages per user per ROLLING hour (CONTRACT.md), shared by every instance when Redis is
 * configured: a sliding log (above), so 100 sends at the end of one hour and 100 at the start
 * of the next cannot both pass, as they did with a fixed window. Exact rather than
 * rate-limiter-flexible's approximations, and the idempotency claim lives in the same log: the
 * key is the log entry, so one key takes at most one point even when retries race, and the
 * claim and the count are one script, one round trip.
 *
 * When Redis is unreachable (not ready, an error, or no answer within a second) the send is
 * counted by this instance alone (the insurance log in memory): limits loosen by the number of
 * instances for the outage, instead of every send failing or waiting on a dead dependency.
 */
export class MessageRateLimiter {
  private readonly memory = new Map<string, Map<string, number>>();
  private lastOutageLog = 0;

  private constructor(
    private readonly limit: number,
    private readonly options: Required<Pick<MessageRateLimiterOptions, 'keyPrefix' | 'now'>> & MessageRateLimiterOptions,
  ) {}

  static create(pointsPerHour: number, redis?: Redis, keyPrefix = 'rl:messages', options: Omit<MessageRateLimiterOptions, 'redis' | 'keyPrefix'> = {}): MessageRateLimiter {
    return new MessageRateLimiter(pointsPerHour, { now: Date.now, ...options, redis, keyPrefix });
  }

  /**
   * Takes one point for `userId` or throws RATE_LIMITED with retryAfterSeconds. With an
   * idempotency key, only the first attempt of that key takes a point; the others answer null.
   */
  async consume(userId: string, idempotencyKey?: string): Promise<RatePoint | null> {
    const member = idempotencyKey ? `k:${idempotencyKey}` : `n:${randomUUID()}`;
    const now = this.options.now();
    const redis = this.options.redis;
    let answer: [number, number] | null = null;
    if (redis && redis.status === 'ready') {
      answer = await withTimeout(SLIDING_LOG.run(redis, [this.key(userId)], [now, WINDOW_MS, this.limit, member]) as Promise<[number, number]>).catch((error: unknown) => {
        this.outage(error);
        return null;
      });
    } else if (redis) {
      this.outage(new Error(`Redis is ${redis.status}`));
    }
    const store = answer ? 'redis' : 'memory';
    const [outcome, waitMs] = answer ?? this.consumeInMemory(userId, member, now);
    if (outcome === 1) return { userId, member, store };
    if (outcome === 0) return null;
    throw rateLimited(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** Gives back a point taken for a send that did not store a message. */
  async refund(point: RatePoint): Promise<void> {
    if (point.store === 'memory') {
      this.memory.get(point.userId)?.delete(point.member);
      return;
    }
    await this.options.redis!.zrem(this.key(point.userId), point.member).catch((error: unknown) => this.outage(error));
  }

  private key(userId: string): string {
    return `${this.options.keyPrefix}:log:${userId}`;
  }

  /** The same sliding log as the script, in this process (no Redis, or Redis unreachable). */
  private consumeInMemory(userId: string, member: string, now: number): [number, number] {
    let log = this.memory.get(userId);
    if (!log) {
      log = new Map();
      this.memory.set(userId, log);
    }
    // Entries are in insertion order, which is time order: the expired ones are at the front.
    for (const [entry, at] of log) {
      if (at > now - WINDOW_MS) break;
      log.delete(entry);
    }
    if (log.has(member)) return [0, 0];
    if (log.size >= this.limit) return [-1, log.values().next().value! + WINDOW_MS - now];
    log.set(member, now);
    this.sweep(now);
    return [1, 0];
  }

  /**
   * Eviction of the in-memory logs: a user's log goes once its newest entry is older than the
   * window; checked when the map has grown past 10,000 users, so the sweep stays rare.
   */
  private sweep(now: number): void {
    if (this.memory.size < 10_000) return;
    for (const [userId, log] of this.memory) {
      const newest = [...log.values()].pop();
      if (newest === undefined || newest <= now - WINDOW_MS) this.memory.delete(userId);
    }
  }

  private outage(error: unknown): void {
    const now = Date.now();
    if (now - this.lastOutageLog < 10_000) return;
    this.lastOutageLog = now;
    this.options.logger?.warn({ err: error }, 'rate limit: Redis unreachable, counting on this instance');
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
