import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DomainError, ErrorCode } from '../errors';

/**
 * The classes of operation that each have their own limit per user (failed logins: per client
 * address). Sends keep their own rolling-hour limit (rate-limiter.ts, the contract's).
 */
export type OperationClass =
  /** Every query and every subscription start. */
  | 'read'
  /** Every mutation. */
  | 'write'
  /** startConversation. */
  | 'conversationStart'
  /** startConversation with someone the viewer has no conversation with yet: stricter. */
  | 'strangerStart'
  /** archiveConversation / unarchiveConversation: each one fans out to every subscription of both users. */
  | 'fanout'
  | 'typing'
  | 'deviceRegistration'
  /** A request with a token that failed verification, per client address. */
  | 'failedLogin';

export interface LimitRule {
  points: number;
  durationSeconds: number;
}

/**
 * Defaults, generous for people and tight for scripts. A read every 100 ms for a minute passes;
 * a person does not start 30 conversations an hour, nor 10 with strangers.
 */
export const DEFAULT_OPERATION_LIMITS: Record<OperationClass, LimitRule> = {
  read: { points: 600, durationSeconds: 60 },
  write: { points: 240, durationSeconds: 60 },
  conversationStart: { points: 30, durationSeconds: 3600 },
  strangerStart: { points: 10, durationSeconds: 3600 },
  fanout: { points: 30, durationSeconds: 60 },
  typing: { points: 120, durationSeconds: 60 },
  deviceRegistration: { points: 10, durationSeconds: 3600 },
  failedLogin: { points: 20, durationSeconds: 300 },
};

/**
 * RATE_LIMITS overrides, e.g. `read=5/60,strangerStart=2/3600` (points per seconds). Unknown
 * classes and malformed entries are a start-up error (a typo must not silently keep a default).
 */
export function parseOperationLimits(text: string | undefined): Record<OperationClass, LimitRule> {
  const rules = { ...DEFAULT_OPERATION_LIMITS };
  for (const entry of (text ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^(\w+)=(\d+)\/(\d+)$/.exec(entry);
    if (!match || !(match[1] in rules) || Number(match[2]) < 1 || Number(match[3]) < 1) throw new Error(`RATE_LIMITS: cannot read "${entry}" (expected class=points/seconds)`);
    rules[match[1] as OperationClass] = { points: Number(match[2]), durationSeconds: Number(match[3]) };
  }
  return rules;
}

/** RATE_LIMITED with the seconds until a point is free again. */
export function operationRateLimited(retryAfterSeconds: number, operationClass: OperationClass | 'send' = 'send'): DomainError {
  return new DomainError(ErrorCode.RATE_LIMITED, 'Too many requests; try again later', { retryAfterSeconds, limit: operationClass });
}

/**
 * Per-user limits on every class of operation, shared by every instance through Redis
 * (rate-limiter-flexible). While Redis is unreachable each instance counts on its own
 * (`insuranceLimiter`): limits loosen by the number of instances instead of every request
 * failing with the dependency.
 */
export class OperationLimits {
  private readonly limiters: Record<OperationClass, RateLimiterAbstract>;

  constructor(rules: Record<OperationClass, LimitRule>, redis?: Redis, keyPrefix = 'rl:ops') {
    const entries = Object.entries(rules).map(([name, rule]) => {
      const options = { points: rule.points, duration: rule.durationSeconds, keyPrefix: `${keyPrefix}:${name}` };
      const memory = new RateLimiterMemory(options);
      const limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory, rejectIfRedisNotReady: true }) : memory;
      return [name, limiter] as const;
    });
    this.limiters = Object.fromEntries(entries) as Record<OperationClass, RateLimiterAbstract>;
  }

  /** Takes `points` of `operationClass` for `key` or throws RATE_LIMITED with retryAfterSeconds. */
  async consume(operationClass: OperationClass, key: string, points = 1): Promise<void> {
    try {
      await this.limiters[operationClass].consume(key, points);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw operationRateLimited(retryAfter(error), operationClass);
      throw error;
    }
  }
}

function retryAfter(state: RateLimiterRes): number {
  return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
}
