import type { Logger } from '../observability/logger';
import { InProcessPubSub } from './in-process-pubsub';
import type { PubSub } from './pubsub';
import { RedisPubSub, type RedisPubSubOptions } from './redis-pubsub';

/**
 * The pub/sub of this process: Redis when `redisUrl` is set (any number of instances),
 * in-process otherwise (one instance only, as the contract allows without REDIS_URL).
 * `options` tune the Redis engine and are ignored in process.
 */
export function createPubSub(
  redisUrl: string | undefined,
  logger: Logger,
  options: Omit<RedisPubSubOptions, 'url' | 'logger'> = {},
): PubSub {
  if (!redisUrl) {
    logger.info('pub/sub in process (REDIS_URL unset): subscriptions reach this instance only');
    return new InProcessPubSub();
  }
  return new RedisPubSub({ ...options, url: redisUrl, logger });
}
