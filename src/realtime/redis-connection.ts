import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger';

/** Options of {@link createRedisConnection}. */
export interface RedisConnectionOptions {
  /** Shown in logs and set as the Redis CLIENT name, so that a connection can be found in `CLIENT LIST`. */
  name: string;
  logger: Logger;
  /** Called each time the connection is ready again after having been ready before. */
  onReconnect?: () => void;
  /** First reconnect delay; doubles per attempt. Default 100 ms. */
  retryBaseMs?: number;
  /** Cap of the reconnect delay. Default 5000 ms. */
  retryMaxMs?: number;
  /**
   * Reconnect attempts a command may wait for before it fails. Default 3: a publish after a
   * commit fails within about a second instead of hanging while Redis is away.
   */
  maxRetriesPerRequest?: number;
  /**
   * Commands issued in the same tick go out in one write (ioredis auto-pipelining): the
   * publishes of one event cost one round trip. Default false.
   */
  autoPipelining?: boolean;
  /**
   * How long one command may wait for its answer, queued while Redis is away included, before
   * it fails. Default {@link DEFAULT_REDIS_COMMAND_TIMEOUT_MS}: no request waits longer than
   * that on a dead Redis (a reconnect alone may take 5 s, and the retries count, several times).
   */
  commandTimeoutMs?: number;
  /** Builds the connection (a subclass of Redis, e.g. the pub/sub subscriber's). Default `new Redis(url, options)`. */
  create?: (url: string, options: RedisOptions) => Redis;
}

/** See {@link RedisConnectionOptions.commandTimeoutMs}. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2000;

/** Exponential backoff with jitter, capped; never gives up (ioredis stops on `null`). */
export function reconnectDelay(attempt: number, baseMs: number, maxMs: number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(exponential / 2 + (Math.random() * exponential) / 2);
}

/**
 * One ioredis connection from a URL with capped backoff, logged errors (ioredis would print
 * "Unhandled error event" otherwise) and a hook on every reconnect, for metrics.
 */
export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  const { name, logger, onReconnect, retryBaseMs = 100, retryMaxMs = 5000, maxRetriesPerRequest = 3, autoPipelining = false } = options;
  const create = options.create ?? ((connectionUrl: string, connectionOptions: RedisOptions) => new Redis(connectionUrl, connectionOptions));
  const redisOptions: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    enableAutoPipelining: autoPipelining,
    retryStrategy: (attempt) => reconnectDelay(attempt, retryBaseMs, retryMaxMs),
  };
  const redis = create(url, redisOptions);
  let wasReady = false;
  redis.on('ready', () => {
    if (wasReady) {
      logger.info({ connection: name }, 'redis reconnected');
      onReconnect?.();
    }
    wasReady = true;
  });
  redis.on('error', (error: Error) => logger.warn({ connection: name, err: error }, 'redis connection error'));
  return redis;
}

/** Quits politely when connected; drops the socket otherwise (QUIT would wait for a reconnect). */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/**
 * Resolves `true` when `redis` answers PING within `timeoutMs`; a connection still being
 * established gets that long to come up.
 */
export async function pingRedis(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  if (redis.status === 'end' || redis.status === 'close') return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
