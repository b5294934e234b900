import type { Config } from '../config';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PresenceTracker } from '../realtime/presence';
import type { PubSub } from '../realtime/pubsub';
import type { MessageRateLimiter } from './rate-limiter';

/** What the services are built from: the real parts, chosen once at start by main.ts or a test. */
export interface ServiceDeps {
  orm: Orm;
  pubsub: PubSub;
  presence: PresenceTracker;
  rateLimiter: MessageRateLimiter;
  config: Config;
  logger: Logger;
  metrics: Metrics;
}
