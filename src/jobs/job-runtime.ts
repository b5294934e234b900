import type { Config } from '../config';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { initORM } from '../db/orm';
import { PgSql } from '../db/sql';
import type { Logger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { createPubSub } from '../realtime/create-pubsub';
import { createPushTransport } from '../push/create-push-transport';
import { OfflinePresence } from '../realtime/offline-presence';
import type { PresenceTracker } from '../realtime/presence';
import { RedisPresenceTracker } from '../realtime/redis-presence';
import { Outbox } from '../services/outbox';
import { MessageRateLimiter } from '../services/rate-limiter';
import { createServices } from '../services/services';
import { closeObjectStorage, createObjectStorage } from '../storage/create-storage';
import { AgendaScheduler } from './agenda-scheduler';
import type { JobDeps } from './job';

/** The parts a job process opened, closed in reverse by `close()`. */
export interface JobRuntime {
  deps: JobDeps;
  /** Agenda on the same database: schedules jobs; a worker also starts it. */
  scheduler: AgendaScheduler;
  close(): Promise<void>;
}

/**
 * Opens what jobs need outside the HTTP server (`npm run jobs:run`, a worker): the database
 * (external or the embedded one of DATA_DIR, reused when the service is running on it),
 * pub/sub (events published by jobs reach subscribers through Redis), object storage, and the
 * services built on them, the push transport and the job scheduler. No sockets are held: with
 * REDIS_URL presence is read from the instances, without it everyone counts as OFFLINE.
 */
export async function openJobRuntime(config: Config, logger: Logger): Promise<JobRuntime> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch((err: unknown) => logger.error({ err }, 'error while closing'));
    closers.length = 0;
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.dataDir, logger);
      closers.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const orm = await initORM(databaseUrl, { migrate: config.migrateOnStart });
    closers.push(() => orm.close());
    const sql = new PgSql({ connectionString: databaseUrl, max: 4, preparedStatements: config.database.preparedStatements });
    closers.push(() => sql.close());
    const outbox = new Outbox({ sql, logger, leaseMs: config.outbox.leaseMs, sweepMs: config.outbox.sweepMs });
    closers.push(() => outbox.close());
    const pubsub = createPubSub(config.redisUrl, logger, { channelPrefix: config.realtime.redisPrefix });
    closers.push(() => pubsub.close());
    const storage = await createObjectStorage(config);
    closers.push(async () => closeObjectStorage(storage));
    // With Redis, presence of every instance is read (never written: this process holds no sockets).
    const presence: PresenceTracker = config.redisUrl
      ? new RedisPresenceTracker({ redis: config.redisUrl, keyPrefix: config.realtime.redisPrefix, logger })
      : new OfflinePresence();
    closers.push(() => presence.close());
    const metrics = createMetrics();
    const push = createPushTransport(config.push, logger);
    closers.push(async () => push.close?.());
    const scheduler = await AgendaScheduler.create({ databaseUrl, config: config.jobs, logger, metrics });
    closers.push(() => scheduler.stop());
    const services = createServices({
      orm,
      sql,
      outbox,
      pubsub,
      presence,
      // Jobs send no user messages: an in-process limiter is never consulted across instances.
      rateLimiter: MessageRateLimiter.create(config.messages.rateLimitPerHour),
      config,
      logger,
      metrics,
      storage,
      push,
      jobQueue: scheduler,
    });
    // Background push decisions finish before the scheduler and the pools close.
    closers.push(() => services.notifications.close());
    outbox.startRelay({ announcer: services.announcer, events: services.events });
    return { deps: { services, config, logger }, scheduler, close };
  } catch (error) {
    await close();
    throw error;
  }
}
