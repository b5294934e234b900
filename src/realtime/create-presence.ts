import type { Logger } from '../observability/logger';
import { InProcessPresenceTracker } from './in-process-presence';
import type { ConnectionPresenceTracker, PresenceListener, PresenceTimings } from './presence-tracker';
import { RedisPresenceTracker } from './redis-presence';

/** Options of {@link createPresenceTracker}. */
export interface CreatePresenceOptions extends PresenceTimings {
  /** Redis when set (any number of instances); in process otherwise (one instance). */
  redisUrl?: string;
  logger: Logger;
  /** Receives every ONLINE / OFFLINE transition once (publish it, persist lastSeenAt). */
  onChange?: PresenceListener;
  /** Redis only: see {@link RedisPresenceOptions}. */
  keyPrefix?: string;
  instanceId?: string;
}

/** The presence tracker of this process, started. */
export async function createPresenceTracker(options: CreatePresenceOptions): Promise<ConnectionPresenceTracker> {
  const { redisUrl, ...rest } = options;
  const tracker = redisUrl
    ? new RedisPresenceTracker({ ...rest, redis: redisUrl })
    : new InProcessPresenceTracker({ logger: rest.logger, onChange: rest.onChange, graceMs: rest.graceMs });
  try {
    await tracker.start();
  } catch (error) {
    await tracker.close();
    throw error;
  }
  return tracker;
}
