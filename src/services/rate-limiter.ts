import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../errors';

/**
 * Messages per user per hour, shared by every instance when Redis is configured. The window
 * starts with the user's first counted message (rate-limiter-flexible's fixed window per key).
 * Sends that fail after the check give their point back, so only stored messages count.
 */
export class MessageRateLimiter {
  private constructor(private readonly limiter: RateLimiterAbstract) {}

  static create(pointsPerHour: number, redis?: Redis, keyPrefix = 'rl:messages'): MessageRateLimiter {
    const options = { points: pointsPerHour, duration: 3600, keyPrefix };
    return new MessageRateLimiter(
      redis ? new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true }) : new RateLimiterMemory(options),
    );
  }

  /** Takes one point for `userId` or throws RATE_LIMITED with retryAfterSeconds. */
  async consume(userId: string): Promise<void> {
    try {
      await this.limiter.consume(userId, 1);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        throw rateLimited(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      }
      throw error;
    }
  }

  /** Gives back a point taken for a send that did not store a message. */
  async refund(userId: string): Promise<void> {
    await this.limiter.reward(userId, 1);
  }

  async reset(userId: string): Promise<void> {
    await this.limiter.delete(userId);
  }
}
