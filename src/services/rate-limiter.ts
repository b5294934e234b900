import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../errors';

const WINDOW_SECONDS = 3600;

/**
 * Messages per user per hour, shared by every instance when Redis is configured. The window
 * starts with the user's first counted message (rate-limiter-flexible's fixed window per key).
 * Sends that fail after the check give their point back, so only stored messages count, and
 * one idempotency key takes at most one point even when its retries race the first attempt.
 * The Redis connection should auto-pipeline, so that a send's claim and count share a round trip.
 */
export class MessageRateLimiter {
  /**
   * Idempotency keys already counted, without Redis. Eviction: a claim lasts the rate window
   * (one hour, as the Redis key's EX does), and past 100,000 claims the least recently used one
   * goes (a retry that late would take a second point, never a send be refused).
   */
  private readonly localClaims = new LRUCache<string, true>({ max: 100_000, ttl: WINDOW_SECONDS * 1000 });

  private constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly redis: Redis | undefined,
    private readonly keyPrefix: string,
  ) {}

  static create(pointsPerHour: number, redis?: Redis, keyPrefix = 'rl:messages'): MessageRateLimiter {
    const options = { points: pointsPerHour, duration: WINDOW_SECONDS, keyPrefix };
    const limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true }) : new RateLimiterMemory(options);
    return new MessageRateLimiter(limiter, redis, keyPrefix);
  }

  /**
   * Takes one point for `userId` or throws RATE_LIMITED with retryAfterSeconds. With an
   * idempotency key, only the first attempt of that key takes a point; returns whether it did.
   */
  async consume(userId: string, idempotencyKey?: string): Promise<boolean> {
    // The claim and the count are issued together (one round trip through auto-pipelining);
    // a retry whose key was claimed before gives back the point it took on the way.
    const claimKey = idempotencyKey ? `${userId}:${idempotencyKey}` : null;
    const [claimed, counted] = await Promise.allSettled([claimKey ? this.claim(claimKey) : true, this.limiter.consume(userId, 1)]);
    if (claimed.status === 'rejected') {
      if (counted.status === 'fulfilled') await this.limiter.reward(userId, 1);
      throw claimed.reason;
    }
    if (!claimed.value) {
      await this.limiter.reward(userId, 1);
      return false;
    }
    if (counted.status === 'fulfilled') return true;
    if (claimKey) await this.release(claimKey);
    const error: unknown = counted.reason;
    if (error instanceof RateLimiterRes) throw rateLimited(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    throw error;
  }

  /** Gives back a point taken for a send that did not store a message. */
  async refund(userId: string, idempotencyKey?: string): Promise<void> {
    if (idempotencyKey) await this.release(`${userId}:${idempotencyKey}`);
    await this.limiter.reward(userId, 1);
  }

  /** Marks an idempotency key as counted; false when an attempt with it already was. */
  private async claim(key: string): Promise<boolean> {
    if (this.redis) {
      return (await this.redis.set(`${this.keyPrefix}:claim:${key}`, '1', 'EX', WINDOW_SECONDS, 'NX')) === 'OK';
    }
    if (this.localClaims.has(key)) return false;
    this.localClaims.set(key, true);
    return true;
  }

  private async release(key: string): Promise<void> {
    if (this.redis) await this.redis.del(`${this.keyPrefix}:claim:${key}`);
    else this.localClaims.delete(key);
  }
}
