import type { Redis } from 'ioredis';
import type { Config } from './config';
import { lockDataDir } from './db/data-dir-lock';
import { startEmbeddedPostgres } from './db/embedded-postgres';
import { acceptsStartupTimeout, resolveDatabaseTargets } from './db/database-targets';
import { ReadRouting } from './db/read-routing';
import { initORM, onQuery, ormPoolStats, type Orm } from './db/orm';
import { PgSql } from './db/sql';
import { AgendaScheduler } from './jobs/agenda-scheduler';
import type { Logger } from './observability/logger';
import { createMetrics, type Metrics } from './observability/metrics';
import { createPushTransport } from './push/create-push-transport';
import type { PushTransport } from './push/push-transport';
import { createPresenceTracker } from './realtime/create-presence';
import { createPubSub } from './realtime/create-pubsub';
import { OfflinePresence } from './realtime/offline-presence';
import type { PresenceTracker } from './realtime/presence';
import type { ConnectionPresenceTracker } from './realtime/presence-tracker';
import type { PubSub } from './realtime/pubsub';
import { closeRedisConnection, createRedisConnection } from './realtime/redis-connection';
import { RedisPresenceTracker } from './realtime/redis-presence';
import { Outbox } from './services/outbox';
import { presenceListener } from './services/presence.service';
import { OperationLimits } from './services/operation-limits';
import { MessageRateLimiter } from './services/rate-limiter';
import type { ServiceDeps } from './services/service-deps';
import { closeObjectStorage, createObjectStorage } from './storage/create-storage';
import { oldestPendingWebhookAgeSeconds } from './webhooks/webhook-dispatcher';

/**
 * The one place that opens what the services run on, for both kinds of process:
 *
 * - `api` (bootstrap.ts: `npm start`, tests, benchmarks) holds sockets, so it writes presence,
 *   counts rate limits in Redis and observes query durations;
 * - `jobs` (jobs/job-runtime.ts: `npm run worker`, `jobs:run`) holds none: it reads presence
 *   and sends no user messages.
 *
 * Parts are closed in reverse order of opening by `close()`.
 */
export type ProcessRole = 'api' | 'jobs';

export interface OpenOptions {
  role: ProcessRole;
  config: Config;
  logger: Logger;
  /** Replaces the push transport of the config (tests); not closed by `close()`. */
  push?: PushTransport;
  /** The port the HTTP server ended up on, for the local storage's URLs (api only). */
  boundPort?: () => number;
}

/** Everything the services need, plus what only the API process uses. */
export interface OpenedParts extends ServiceDeps {
  databaseUrl: string;
  /** The embedded PostgreSQL's cluster directory; undefined with DATABASE_URL. */
  embeddedClusterDir?: string;
  orm: Orm;
  sql: PgSql;
  jobQueue: AgendaScheduler;
  /** The API's presence tracker (written by its sockets); null in a jobs process. */
  connectionPresence: ConnectionPresenceTracker | null;
  /** Registers a part to close, after everything opened later. */
  onClose(name: string, close: () => Promise<void>): void;
  close(): Promise<void>;
}

/** Opens the parts in dependency order; closes what was opened if one fails. */
export async function openParts(options: OpenOptions): Promise<OpenedParts> {
  const { role, config, logger } = options;
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const onClose = (name: string, close: () => Promise<void>) => closers.push({ name, close });
  const close = async () => {
    for (const { name, close: closeOne } of closers.reverse()) {
      const started = Date.now();
      await closeOne().catch((err: unknown) => logger.error({ err, step: name }, 'error during shutdown'));
      logger.debug({ step: name, ms: Date.now() - started }, 'shutdown step done');
    }
    closers.length = 0;
  };
  try {
    let databaseUrl = config.databaseUrl;
    let embeddedClusterDir: string | undefined;
    if (!databaseUrl) {
      if (role === 'api') {
        // One instance per DATA_DIR: a second would ride on this one's PostgreSQL and die with it.
        // A jobs process (jobs:run, a worker) reuses the running instance's database on purpose.
        const lock = await lockDataDir(config.dataDir);
        onClose('DATA_DIR lock', () => lock.release());
      }
      const embedded = await startEmbeddedPostgres(config.dataDir, logger);
      onClose('embedded PostgreSQL', () => embedded.stop());
      databaseUrl = embedded.url;
      embeddedClusterDir = embedded.clusterDir;
    }
    // Timeouts per class of statement: the API's requests are bounded (a frozen database must
    // not hold them); a jobs process's batches may run longer (each job has its lock lifetime).
    const targets = await resolveDatabaseTargets(config.database, databaseUrl, embeddedClusterDir !== undefined);
    const orm = await initORM(databaseUrl, {
      migrate: config.migrateOnStart,
      migrateUrl: targets.directUrl,
      statementTimeoutMs: role === 'api' ? config.database.ormStatementTimeoutMs : 0,
      serverTimeouts: targets.serverTimeouts,
    });
    onClose('database pool', () => orm.close());
    // The hot paths' own pool: bind parameters and prepared statements (db/sql.ts).
    const sql = new PgSql({
      connectionString: databaseUrl,
      max: role === 'api' ? config.database.poolMax : 4,
      preparedStatements: targets.preparedStatements,
      statementTimeoutMs: config.database.statementTimeoutMs,
      serverTimeouts: targets.serverTimeouts,
    });
    onClose('hot-path pool', () => sql.close());
    // Closed after the HTTP server: the last acknowledgements are written first.
    const outbox = new Outbox({ sql, logger, leaseMs: config.outbox.leaseMs, sweepMs: config.outbox.sweepMs });
    onClose('outbox', () => outbox.close());

    // A jobs process serves no user reads: everything it reads stays on the primary.
    const replica = role === 'api' ? await openReplicaPool(config, onClose) : null;
    const metrics = role === 'api' ? apiMetrics(config, orm, sql, replica, onClose) : createMetrics();
    const reads = replica ? openReadRouting(replica, config, logger, metrics, onClose) : ReadRouting.primaryOnly();
    const pubsub = createPubSub(config.redisUrl, logger, {
      channelPrefix: config.realtime.redisPrefix,
      onReconnect: (redisRole) => metrics.pubsubReconnects.inc({ role: redisRole }),
    });
    onClose('pub/sub', () => pubsub.close());

    const { presence, connectionPresence } = await openPresence(role, config, logger, { orm, pubsub }, onClose);
    const { rateLimiter, operationLimits } = openRateLimiter(role, config, logger, onClose);

    const storage = await createObjectStorage(config, options.boundPort ? { boundPort: options.boundPort } : undefined);
    onClose('object storage', async () => closeObjectStorage(storage));
    let push = options.push;
    if (!push) {
      const created = createPushTransport(config.push, logger);
      onClose('push transport', async () => created.close?.());
      push = created;
    }
    // Drained after the HTTP server closed (closing runs in reverse), before the pools go.
    // Its pool and LISTEN connection hold session state: the direct URL, never a transaction-mode pooler.
    const jobQueue = await AgendaScheduler.create({ databaseUrl: targets.directUrl, config: config.jobs, logger, metrics });
    onClose('jobs', () => jobQueue.stop());

    return { config, logger, metrics, databaseUrl, embeddedClusterDir, orm, sql, reads, outbox, pubsub, presence, connectionPresence, rateLimiter, operationLimits, storage, push, jobQueue, onClose, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The API's metrics: the active-conversation gauge, the duration of every SQL statement and the pools' saturation. */
function apiMetrics(config: Config, orm: Orm, sql: PgSql, replica: PgSql | null, onClose: OpenedParts['onClose']): Metrics {
  const metrics = createMetrics({
    // A full count: in production at most once a minute, however often /metrics is scraped.
    countActiveConversations: cachedFor(config.isProduction ? 60_000 : 0, async () => {
      const [row] = await orm.em.getConnection().execute(`select count(*) as n from conversations where status = 'ACTIVE'`);
      return Number(row.n);
    }),
    oldestPendingWebhookAgeSeconds: () => oldestPendingWebhookAgeSeconds(sql),
    databasePools: () => {
      const ormPool = ormPoolStats(orm);
      return [
        { pool: 'hot_path', ...sql.stats() },
        ...(ormPool ? [{ pool: 'orm', ...ormPool }] : []),
        ...(replica ? [{ pool: 'replica', ...replica.stats() }] : []),
      ];
    },
  });
  const stopObserving = onQuery((_sql, tookMs) => {
    if (tookMs !== undefined) metrics.dbQueryDuration.observe(tookMs / 1000);
  });
  onClose('query metrics', async () => void stopObserving());
  return metrics;
}

/** DATABASE_READ_URL: the replica's pool (null when unset: no pool, no probe, no marker). */
async function openReplicaPool(config: Config, onClose: OpenedParts['onClose']): Promise<PgSql | null> {
  const { read } = config.database;
  if (!read.url) return null;
  // A pooler in front of the replica refuses the startup parameter, as database-targets.ts tells PgBouncer apart.
  const direct = await acceptsStartupTimeout(read.url);
  const replica = new PgSql({
    connectionString: read.url,
    max: read.poolMax,
    preparedStatements: config.database.preparedStatementsExplicit ? config.database.preparedStatements : direct,
    statementTimeoutMs: config.database.statementTimeoutMs,
    serverTimeouts: direct,
    // The primary stands in for a replica that does not answer: waiting long for it buys nothing.
    connectTimeoutMs: 1000,
  });
  onClose('replica pool', () => replica.close());
  return replica;
}

/** The routing that decides per read between the primary and `replica` (db/read-routing.ts). */
function openReadRouting(replica: PgSql, config: Config, logger: Logger, metrics: Metrics, onClose: OpenedParts['onClose']): ReadRouting {
  const { read } = config.database;
  let redis: Redis | undefined;
  if (config.redisUrl) {
    const connection = createRedisConnection(config.redisUrl, {
      name: 'messaging:read-routing',
      logger,
      autoPipelining: true,
      maxRetriesPerRequest: 1,
      // A read asks Redis whether its viewer just wrote elsewhere: past this it asks the primary instead.
      commandTimeoutMs: 250,
    });
    onClose('read-routing Redis', () => closeRedisConnection(connection));
    redis = connection;
  }
  const routing = ReadRouting.withReplica({
    replica,
    afterWriteMs: read.afterWriteMs,
    maxLagMs: read.maxLagMs,
    probeEveryMs: 1000,
    redis,
    redisPrefix: config.realtime.redisPrefix,
    logger,
    metrics,
  });
  onClose('read routing', () => routing.close());
  logger.info({ afterWriteMs: read.afterWriteMs, maxLagMs: read.maxLagMs, sharedMarkers: redis !== undefined }, 'read replica configured');
  return routing;
}

/**
 * The API writes presence from its sockets. A jobs process holds no sockets: with Redis it reads
 * the instances' presence, without Redis everyone counts as OFFLINE.
 */
async function openPresence(
  role: ProcessRole,
  config: Config,
  logger: Logger,
  deps: { orm: Orm; pubsub: PubSub },
  onClose: OpenedParts['onClose'],
): Promise<{ presence: PresenceTracker; connectionPresence: ConnectionPresenceTracker | null }> {
  if (role === 'api') {
    const tracker = await createPresenceTracker({
      redisUrl: config.redisUrl,
      keyPrefix: config.realtime.redisPrefix,
      logger,
      ...config.realtime.presence,
      onChange: presenceListener({ ...deps, logger }),
    });
    // Closed after the HTTP server (closing runs in reverse), so sockets disconnect first.
    onClose('presence', () => tracker.close());
    return { presence: tracker, connectionPresence: tracker };
  }
  const reader: PresenceTracker = config.redisUrl
    ? new RedisPresenceTracker({ redis: config.redisUrl, keyPrefix: config.realtime.redisPrefix, logger })
    : new OfflinePresence();
  onClose('presence', () => reader.close());
  return { presence: reader, connectionPresence: null };
}

/** The API counts messages per user in Redis (all instances together); jobs send none. */
function openRateLimiter(role: ProcessRole, config: Config, logger: Logger, onClose: OpenedParts['onClose']): { rateLimiter: MessageRateLimiter; operationLimits: OperationLimits } {
  let redis: Redis | undefined;
  if (role === 'api' && config.redisUrl) {
    const connection = createRedisConnection(config.redisUrl, {
      name: 'messaging:rate-limit',
      logger,
      autoPipelining: true,
      // A hung Redis must not hold requests: past a second the limits count in memory instead.
      commandTimeoutMs: 1000,
    });
    onClose('rate-limit Redis', () => closeRedisConnection(connection));
    redis = connection;
  }
  return {
    rateLimiter: MessageRateLimiter.create(config.messages.rateLimitPerHour, redis, `${config.realtime.redisPrefix}rl:messages`, { logger }),
    operationLimits: new OperationLimits(config.abuse.operationLimits, redis, `${config.realtime.redisPrefix}rl:ops`),
  };
}

/** Wraps an async value so that it is computed at most once per `ttlMs`. */
function cachedFor<T>(ttlMs: number, compute: () => Promise<T>): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | undefined;
  return () => {
    if (!value || Date.now() - value.at > ttlMs) value = { at: Date.now(), promise: compute().catch((error) => ((value = undefined), Promise.reject(error))) };
    return value.promise;
  };
}
