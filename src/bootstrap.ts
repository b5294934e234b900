import type { Redis } from 'ioredis';
import { createApp, type App } from './app';
import { loadOrCreateDevSecret } from './auth/dev-secret';
import { TokenVerifier } from './auth/token-verifier';
import type { Config } from './config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres';
import { initORM, onQuery, type Orm } from './db/orm';
import { PgSql } from './db/sql';
import { AgendaScheduler } from './jobs/agenda-scheduler';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics, type Metrics } from './observability/metrics';
import { createPushTransport } from './push/create-push-transport';
import type { PushTransport } from './push/push-transport';
import { createPubSub } from './realtime/create-pubsub';
import { createPresenceTracker } from './realtime/create-presence';
import type { PubSub } from './realtime/pubsub';
import { closeRedisConnection, createRedisConnection } from './realtime/redis-connection';
import { Outbox } from './services/outbox';
import { presenceListener } from './services/presence.service';
import { MessageRateLimiter } from './services/rate-limiter';
import { closeObjectStorage, createObjectStorage } from './storage/create-storage';

/** A running instance of the service and everything it opened, closed in reverse by `stop()`. */
export interface RunningService {
  app: App;
  port: number;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  orm: Orm;
  /** The hot paths' pool (db/sql.ts), beside MikroORM's. */
  sql: PgSql;
  pubsub: PubSub;
  jwtSecret: string | undefined;
  databaseUrl: string;
  /** The embedded PostgreSQL's cluster directory; undefined with DATABASE_URL. */
  embeddedClusterDir?: string;
  /** Agenda: schedules jobs; runs them too unless JOBS_IN_PROCESS=false. */
  jobs: AgendaScheduler;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Listen on this port instead of config.port (0: a free one). */
  port?: number;
  host?: string;
  /** Replaces the push transport of the config (tests: a fake FCM or a recorder); not closed by stop(). */
  push?: PushTransport;
}

/**
 * Starts the service from a config: the database (external or embedded), migrations, pub/sub,
 * rate limits, then the HTTP server. Used by main.ts, the tests and the benchmarks alike, so
 * that they all run the same code.
 */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const cleanups: { name: string; run: () => Promise<void> }[] = [];
  const onStop = (name: string, run: () => Promise<void>) => cleanups.push({ name, run });
  const stopAll = async () => {
    for (const { name, run } of cleanups.reverse()) {
      const started = Date.now();
      await run().catch((err: unknown) => logger.error({ err, step: name }, 'error during shutdown'));
      logger.debug({ step: name, ms: Date.now() - started }, 'shutdown step done');
    }
    cleanups.length = 0;
  };
  try {
    let databaseUrl = config.databaseUrl;
    let embeddedClusterDir: string | undefined;
    if (!databaseUrl) {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres(config.dataDir, logger);
      onStop('embedded PostgreSQL', () => embedded.stop());
      databaseUrl = embedded.url;
      embeddedClusterDir = embedded.clusterDir;
    }

    const jwtSecret = config.jwt.publicKey ? undefined : (config.jwt.secret ?? (await loadOrCreateDevSecret(config.dataDir)));
    const tokenVerifier = await TokenVerifier.create({ ...config.jwt, secret: jwtSecret });

    const orm = await initORM(databaseUrl, { migrate: config.migrateOnStart });
    onStop('database pool', () => orm.close());

    // The hot paths' own pool: bind parameters and prepared statements (db/sql.ts).
    const sql = new PgSql({
      connectionString: databaseUrl,
      max: config.database.poolMax,
      preparedStatements: config.database.preparedStatements,
    });
    onStop('hot-path pool', () => sql.close());
    // Closed after the HTTP server: the last acknowledgements are written first.
    const outbox = new Outbox({ sql, logger, leaseMs: config.outbox.leaseMs, sweepMs: config.outbox.sweepMs });
    onStop('outbox', () => outbox.close());

    const metrics = createMetrics({
      // A full count: in production at most once a minute, however often /metrics is scraped.
      countActiveConversations: cachedFor(config.isProduction ? 60_000 : 0, async () => {
        const [row] = await orm.em.getConnection().execute(`select count(*) as n from conversations where status = 'ACTIVE'`);
        return Number(row.n);
      }),
    });
    const stopObserving = onQuery((_sql, tookMs) => {
      if (tookMs !== undefined) metrics.dbQueryDuration.observe(tookMs / 1000);
    });
    onStop('query metrics', async () => void stopObserving());

    const pubsub = createPubSub(config.redisUrl, logger, {
      channelPrefix: config.realtime.redisPrefix,
      onReconnect: (role) => metrics.pubsubReconnects.inc({ role }),
    });
    onStop('pub/sub', () => pubsub.close());

    let rateLimitRedis: Redis | undefined;
    if (config.redisUrl) {
      rateLimitRedis = createRedisConnection(config.redisUrl, { name: 'messaging:rate-limit', logger, autoPipelining: true });
      const redis = rateLimitRedis;
      onStop('rate-limit Redis', () => closeRedisConnection(redis));
    }
    const rateLimiter = MessageRateLimiter.create(config.messages.rateLimitPerHour, rateLimitRedis, `${config.realtime.redisPrefix}rl:messages`);
    // Closed after the HTTP server (stop runs in reverse), so sockets disconnect first.
    const presence = await createPresenceTracker({
      redisUrl: config.redisUrl,
      keyPrefix: config.realtime.redisPrefix,
      logger,
      ...config.realtime.presence,
      onChange: presenceListener({ orm, pubsub, logger }),
    });
    onStop('presence', () => presence.close());

    let boundPort = options.port ?? config.port;
    const storage = await createObjectStorage(config, { boundPort: () => boundPort });
    onStop('object storage', async () => closeObjectStorage(storage));

    let push = options.push;
    if (!push) {
      const created = createPushTransport(config.push, logger);
      onStop('push transport', async () => created.close?.());
      push = created;
    }
    // Drained after the HTTP server closed (stop runs in reverse), before the pools go.
    const jobs = await AgendaScheduler.create({ databaseUrl, config: config.jobs, logger, metrics });
    onStop('jobs', () => jobs.stop());

    const app = await createApp({ config, logger, metrics, orm, sql, outbox, pubsub, presence, rateLimiter, tokenVerifier, storage, push, jobQueue: jobs });
    const port = await app.listen(options.port ?? config.port, options.host);
    boundPort = port;
    onStop('HTTP server', () => app.close());
    // Every instance relays what a crashed (or cut-off) one committed but did not publish.
    outbox.startRelay({ announcer: app.services.announcer, events: app.services.events });
    if (config.jobs.inProcess) await jobs.start({ services: app.services, config, logger });
    else await jobs.publishOnly();

    return { app, port, config, logger, metrics, orm, sql, pubsub, jwtSecret, databaseUrl, embeddedClusterDir, jobs, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Wraps an async value so that it is computed at most once per `ttlMs`. */
function cachedFor<T>(ttlMs: number, compute: () => Promise<T>): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | undefined;
  return () => {
    if (!value || Date.now() - value.at > ttlMs) value = { at: Date.now(), promise: compute().catch((error) => ((value = undefined), Promise.reject(error))) };
    return value.promise;
  };
}
