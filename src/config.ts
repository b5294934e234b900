import path from 'node:path';
import { loadAbuseConfig, type AbuseConfig } from './abuse-config';
import { parseEnv, type Env } from './env-schema';

export { ConfigError } from './env-schema';

/**
 * Every setting of the service, read from the environment once and validated at start.
 * Each variable is listed in `.env.example` and the README's configuration table.
 */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  dataDir: string;
  /** Unset: embedded PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  /** Unset: in-process pub/sub, presence and rate limits (one instance only). */
  redisUrl?: string;
  migrateOnStart: boolean;
  logLevel: string;
  /** LOG_FORMAT: `pretty` (human-readable, the default in development) or `json` (elsewhere). */
  logFormat: 'pretty' | 'json';
  /** Origins allowed by CORS; "*" (the default) suits bearer-token clients. */
  corsOrigins: string[] | '*';
  jwt: {
    secret?: string;
    publicKey?: string;
    issuer?: string;
    audience?: string;
  };
  messages: {
    maxLength: number;
    rateLimitPerHour: number;
    /** CONTACT_INFO_POLICY: what a text with contact info does (services/detection). */
    contactInfoPolicy: 'flag' | 'mask' | 'block';
    /** EXPORT_INLINE_MAX_MESSAGES: users with more messages get their export from a job. */
    exportInlineMaxMessages: number;
    /** How long after sending its sender may edit or delete a message (MESSAGE_EDIT_WINDOW_MINUTES). */
    editWindowMinutes: number;
  };
  images: ImagesConfig;
  storage: StorageConfig;
  limits: typeof LIMITS;
  realtime: RealtimeConfig;
  push: PushConfig;
  jobs: JobsConfig;
  database: DatabaseConfig;
  outbox: OutboxConfig;
  /**
   * SHUTDOWN_DRAIN_MS (default 10000): on SIGTERM, how long running requests may finish. One
   * still running then is cut off; what it committed reaches subscribers and push through the
   * outbox relay of the other instances (or of this deployment's next start).
   */
  shutdownDrainMs: number;
  /** SERVE_WEB_APP (default: on outside production) and WEB_APP_DIR: the reference web client at /app/. */
  webApp: { enabled: boolean; dir: string };
  /** Limits against abuse: per-user rates, proxies, slow clients (src/abuse-config.ts). */
  abuse: AbuseConfig;
  webhooks: WebhooksConfig;
  email: EmailConfig;
  /** Test builds only (NODE_ENV=test): faults injected on purpose. */
  testHooks: { crashAfterCommit: boolean; holdAfterCommitMs: number };
}

/** The hot-path pool (src/db/sql.ts); MikroORM keeps its own pool. Where connections go: src/db/database-targets.ts. */
export interface DatabaseConfig {
  /**
   * DATABASE_DIRECT_URL (default: DATABASE_URL): a connection that may hold session state,
   * for migrations and the job scheduler (its pool and its LISTEN), when DATABASE_URL is a
   * transaction-mode pooler (PgBouncer).
   */
  directUrl?: string;
  /** DATABASE_POOL_MAX: connections of the hot-path pool. */
  poolMax: number;
  /**
   * DATABASE_PREPARED_STATEMENTS: named prepared statements on the hot paths. Default on, and
   * off when DATABASE_DIRECT_URL differs from DATABASE_URL (a transaction-mode pooler is in front).
   */
  preparedStatements: boolean;
  /** DATABASE_PREPARED_STATEMENTS was set: kept even behind a detected pooler (PgBouncer 1.21+ with max_prepared_statements). */
  preparedStatementsExplicit: boolean;
  /**
   * DATABASE_STATEMENT_TIMEOUT_MS (default 5000, 0: none): the hot paths' statements (send,
   * replay, mark read, the outbox). PostgreSQL ends a longer one; the client gives up a second
   * later (a frozen server answers nothing, not even the cancel).
   */
  statementTimeoutMs: number;
  /** DATABASE_ORM_STATEMENT_TIMEOUT_MS (default 15000, 0: none): MikroORM's statements of an API process. */
  ormStatementTimeoutMs: number;
  /** Read replica (src/db/read-routing.ts, docs/scaling.md "Read replicas"). */
  read: ReadReplicaConfig;
}

/** DATABASE_READ_*: history pages, search and the conversation list from a streaming replica. */
export interface ReadReplicaConfig {
  /** DATABASE_READ_URL: unset, every read runs on the primary. */
  url?: string;
  /** DATABASE_READ_AFTER_WRITE_MS (default 5000): after a write of theirs, a user's reads stay on the primary this long. */
  afterWriteMs: number;
  /** DATABASE_READ_MAX_LAG_MS (default 10000): past this replay lag the replica serves nothing. */
  maxLagMs: number;
  /** DATABASE_READ_POOL_MAX (default 10): connections of the replica's pool. */
  poolMax: number;
}

/** Email digests (src/email/). */
export interface EmailConfig {
  /** SMTP_URL: unset, emails are written to the log (recipient hashed, no body). */
  smtpUrl?: string;
  /** EMAIL_FROM */
  from: string;
  /** EMAIL_DIGEST_DELAY_MINUTES in seconds: how long a message stays unread before it is due. */
  delaySeconds: number;
  /** EMAIL_DIGEST_INTERVAL_MINUTES in seconds: at most one digest per user per interval. */
  intervalSeconds: number;
  /** APP_URL: the web app linked from emails. */
  appUrl?: string;
  /** PUBLIC_URL (or http://localhost:PORT): the origin of the unsubscribe links. */
  publicUrl: string;
}

/** Webhooks (src/webhooks/). */
export interface WebhooksConfig {
  /** WEBHOOK_ALLOW_PRIVATE_URLS: loopback and private hosts allowed; default only in development. */
  allowPrivateUrls: boolean;
  /** WEBHOOK_RETRY_BASE_SECONDS and the contract's fixed limits (1 h per wait, 24 h in all). */
  retry: { baseSeconds: number; maxDelaySeconds: number; giveUpAfterSeconds: number };
  /** WEBHOOK_TIMEOUT_MS: an answer must arrive within this (10 s by the contract). */
  timeoutMs: number;
  /** WEBHOOK_DISPATCH_MS: how often the dispatcher looks for due webhook events. */
  dispatchMs: number;
}

/** The transactional outbox (src/services/outbox.ts). */
export interface OutboxConfig {
  /** OUTBOX_LEASE_MS: how long the committing instance may publish an event before any relay does. */
  leaseMs: number;
  /** OUTBOX_SWEEP_MS: how often each instance's relay looks for events whose lease ran out. */
  sweepMs: number;
}

function loadDatabaseConfig(env: Env): DatabaseConfig {
  const pooled = env.DATABASE_DIRECT_URL !== undefined && env.DATABASE_DIRECT_URL !== env.DATABASE_URL;
  return {
    directUrl: env.DATABASE_DIRECT_URL ?? env.DATABASE_URL,
    poolMax: env.DATABASE_POOL_MAX,
    preparedStatements: env.DATABASE_PREPARED_STATEMENTS ?? !pooled,
    preparedStatementsExplicit: env.DATABASE_PREPARED_STATEMENTS !== undefined,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    ormStatementTimeoutMs: env.DATABASE_ORM_STATEMENT_TIMEOUT_MS,
    read: {
      url: env.DATABASE_READ_URL,
      afterWriteMs: env.DATABASE_READ_AFTER_WRITE_MS,
      maxLagMs: env.DATABASE_READ_MAX_LAG_MS,
      poolMax: env.DATABASE_READ_POOL_MAX,
    },
  };
}

function loadOutboxConfig(env: Env): OutboxConfig {
  return { leaseMs: env.OUTBOX_LEASE_MS, sweepMs: env.OUTBOX_SWEEP_MS };
}

/** graphql-ws, typing and presence settings; the timings are env-configurable so tests run fast. */
export interface RealtimeConfig {
  /** REDIS_PREFIX: prepended to pub/sub channels and presence keys, so deployments can share a Redis. */
  redisPrefix: string;
  /** TYPING_TIMEOUT_MS: a `setTyping(true)` without refresh turns into false after this long. */
  typingTimeoutMs: number;
  /** TYPING_THROTTLE_MS: refreshes of `true` within this window are not published again. */
  typingThrottleMs: number;
  /** PRESENCE_GRACE_MS, PRESENCE_HEARTBEAT_MS, PRESENCE_INSTANCE_TTL_MS, PRESENCE_SWEEP_MS. */
  presence: { graceMs: number; heartbeatMs: number; instanceTtlMs: number; sweepMs: number };
  ws: {
    /** WS_MAX_PAYLOAD_BYTES: largest message a client may send. */
    maxPayloadBytes: number;
    /** WS_MAX_SUBSCRIPTIONS_PER_SOCKET: operations running at once on one socket. */
    maxSubscriptionsPerSocket: number;
    /** WS_MAX_SOCKETS_PER_USER: open sockets of one user on one instance. */
    maxSocketsPerUser: number;
    /** WS_MAX_SUBSCRIPTIONS_PER_USER: subscriptions of one user on one instance, over all their sockets. */
    maxSubscriptionsPerUser: number;
    /** WS_MAX_BUFFERED_BYTES: unsent bytes a socket may hold before it is closed as a slow consumer (4008). */
    maxBufferedBytes: number;
    /** WS_CONNECTION_INIT_TIMEOUT_MS: time allowed between the upgrade and `connection_init`. */
    connectionInitTimeoutMs: number;
    /** WS_KEEPALIVE_MS: ping interval; a socket that misses a pong is terminated. */
    keepAliveMs: number;
  };
}

/**
 * Abuse limits on every GraphQL operation, over HTTP and WebSocket alike.
 * Each one has a test in test/api/limits.test.ts.
 */
export const LIMITS = {
  /** Deepest selection allowed; the contract's deepest useful query is about 6. */
  maxDepth: 10,
  /** Aliases per operation: blocks alias-amplified batching inside one request. */
  maxAliases: 15,
  /** Directives per operation. */
  maxDirectives: 20,
  /**
   * Tokens per document, checked while parsing (graphql-js `maxTokens`): a document nested a
   * few thousand levels deep overflowed the parser's stack before any limit looked at it.
   */
  maxTokens: 4000,
  /**
   * Cost units per operation (query-cost.ts): a field is 1, a connection multiplies its
   * selection by its page size. A full 100-conversation page is about 6,000; a page of 100
   * conversations each with 100 messages (about 300,000) is refused.
   */
  maxCost: 25_000,
  /** JSON request body cap for POST /graphql (uploads have their own cap). */
  maxBodyBytes: 100 * 1024,
  /** The contract's image upload cap: 5 MB, counted while the file streams in. */
  maxUploadBytes: 5 * 1024 * 1024,
  /** Page size caps of the connections. */
  maxPageSize: 100,
  defaultMessagePageSize: 50,
  defaultConversationPageSize: 20,
} as const;

/** Image messages: how long signed URLs live and how long stored objects are kept. */
export interface ImagesConfig {
  /** IMAGE_URL_TTL_SECONDS: lifetime of the signed URLs in API answers (default 900). */
  urlTtlSeconds: number;
  /** IMAGE_RETENTION_DAYS: stored objects are deleted this long after upload (default 90). */
  retentionDays: number;
}

/** Where image objects live: S3 when S3_BUCKET is set, else files under DATA_DIR/objects. */
export interface StorageConfig {
  /** S3_BUCKET and friends; credentials come from the AWS SDK's usual chain (AWS_* variables, profile, role). */
  s3?: { bucket: string; endpoint?: string; region?: string; forcePathStyle: boolean };
  /** LOCAL_STORAGE_SECRET (32+ characters): signs local file URLs; unset, one is generated into DATA_DIR. */
  localSecret?: string;
  /** PUBLIC_URL: the origin clients reach the service at, for local file URLs; unset, http://localhost:PORT. */
  publicUrl?: string;
}

function loadImagesConfig(env: Env): ImagesConfig {
  return { urlTtlSeconds: env.IMAGE_URL_TTL_SECONDS, retentionDays: env.IMAGE_RETENTION_DAYS };
}

function loadStorageConfig(env: Env): StorageConfig {
  return {
    s3: env.S3_BUCKET
      ? { bucket: env.S3_BUCKET, endpoint: env.S3_ENDPOINT, region: env.S3_REGION, forcePathStyle: env.S3_FORCE_PATH_STYLE }
      : undefined,
    localSecret: env.LOCAL_STORAGE_SECRET,
    publicUrl: env.PUBLIC_URL,
  };
}

/**
 * Parses and validates the environment (src/env-schema.ts); throws one ConfigError naming
 * every bad variable.
 */
export function loadConfig(raw: NodeJS.ProcessEnv = process.env): Config {
  const env = parseEnv(raw);
  const nodeEnv = env.NODE_ENV;
  const isProduction = nodeEnv === 'production';
  return {
    nodeEnv,
    isProduction,
    port: env.PORT,
    dataDir: path.resolve(env.DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    migrateOnStart: env.MIGRATE_ON_START ?? !isProduction,
    corsOrigins: !env.CORS_ORIGINS || env.CORS_ORIGINS === '*' ? '*' : env.CORS_ORIGINS.split(',').map((o) => o.trim()),
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    logFormat: env.LOG_FORMAT ?? (nodeEnv === 'development' ? 'pretty' : 'json'),
    jwt: {
      secret: env.JWT_SECRET,
      publicKey: env.JWT_PUBLIC_KEY?.replace(/\\n/g, '\n'),
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
    },
    messages: { maxLength: env.MESSAGE_MAX_LENGTH, rateLimitPerHour: env.RATE_LIMIT_MESSAGES_PER_HOUR, contactInfoPolicy: env.CONTACT_INFO_POLICY, exportInlineMaxMessages: env.EXPORT_INLINE_MAX_MESSAGES,
      editWindowMinutes: env.MESSAGE_EDIT_WINDOW_MINUTES },
    images: loadImagesConfig(env),
    storage: loadStorageConfig(env),
    limits: LIMITS,
    realtime: loadRealtimeConfig(env),
    push: loadPushConfig(env),
    jobs: loadJobsConfig(env),
    database: loadDatabaseConfig(env),
    outbox: loadOutboxConfig(env),
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
    testHooks: { crashAfterCommit: nodeEnv === 'test' && env.TEST_CRASH_AFTER_COMMIT, holdAfterCommitMs: nodeEnv === 'test' ? env.TEST_HOLD_AFTER_COMMIT_MS : 0 },
    webApp: { enabled: env.SERVE_WEB_APP ?? !isProduction, dir: path.resolve(env.WEB_APP_DIR) },
    abuse: loadAbuseConfig(env),
    webhooks: {
      allowPrivateUrls: env.WEBHOOK_ALLOW_PRIVATE_URLS ?? nodeEnv === 'development',
      retry: { baseSeconds: env.WEBHOOK_RETRY_BASE_SECONDS, maxDelaySeconds: 3600, giveUpAfterSeconds: 24 * 3600 },
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      dispatchMs: env.WEBHOOK_DISPATCH_MS,
    },
    email: {
      smtpUrl: env.SMTP_URL,
      from: env.EMAIL_FROM ?? 'Marketplace <no-reply@localhost>',
      delaySeconds: env.EMAIL_DIGEST_DELAY_MINUTES * 60,
      intervalSeconds: env.EMAIL_DIGEST_INTERVAL_MINUTES * 60,
      appUrl: env.APP_URL,
      publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    },
  };
}

function loadRealtimeConfig(env: Env): RealtimeConfig {
  return {
    redisPrefix: env.REDIS_PREFIX,
    typingTimeoutMs: env.TYPING_TIMEOUT_MS,
    typingThrottleMs: env.TYPING_THROTTLE_MS,
    presence: {
      graceMs: env.PRESENCE_GRACE_MS,
      heartbeatMs: env.PRESENCE_HEARTBEAT_MS,
      instanceTtlMs: env.PRESENCE_INSTANCE_TTL_MS,
      sweepMs: env.PRESENCE_SWEEP_MS,
    },
    ws: {
      maxPayloadBytes: env.WS_MAX_PAYLOAD_BYTES,
      maxSubscriptionsPerSocket: env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
      maxSocketsPerUser: env.WS_MAX_SOCKETS_PER_USER,
      maxSubscriptionsPerUser: env.WS_MAX_SUBSCRIPTIONS_PER_USER,
      maxBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
      connectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
      keepAliveMs: env.WS_KEEPALIVE_MS,
    },
  };
}

/** Push notifications (docs/push-and-jobs.md). */
export interface PushConfig {
  /** FIREBASE_SERVICE_ACCOUNT: path to, or JSON of, a service account key; unset, pushes are only logged. */
  firebaseServiceAccount?: string;
  /** PUSH_BATCH_WINDOW_MS: messages of one conversation within this window make one notification. */
  batchWindowMs: number;
  /** PUSH_MAX_ATTEMPTS: sends per device when the provider fails transiently, the first included. */
  maxAttempts: number;
  /** PUSH_RETRY_BASE_DELAY_MS: delay before the second attempt; doubles each time, with jitter. */
  retryBaseDelayMs: number;
  /** PUSH_RECORD_RETENTION_DAYS: how long sent notifications and their delivery records are kept. */
  recordRetentionDays: number;
}

/** Scheduled jobs on Agenda (docs/push-and-jobs.md). */
export interface JobsConfig {
  /** JOBS_IN_PROCESS: `npm start` also runs the jobs (default true); false leaves them to `npm run worker`. */
  inProcess: boolean;
  /** JOBS_PROCESS_EVERY_MS: how often Agenda looks for due jobs. */
  processEveryMs: number;
  /** JOBS_LOCK_LIFETIME_MS: a job whose worker stopped touching it is taken over after this long. */
  lockLifetimeMs: number;
  /** JOBS_DRAIN_TIMEOUT_MS: on shutdown, how long running jobs may take to finish. */
  drainTimeoutMs: number;
  /** ARCHIVE_CRON / ARCHIVE_TIMEZONE: when archive-idle-conversations runs (default daily 02:00 UTC). */
  archiveCron: string;
  archiveTimezone: string;
  /** ARCHIVE_IDLE_DAYS: ACTIVE conversations idle longer than this become AUTO_ARCHIVED. */
  archiveIdleDays: number;
  /** ARCHIVE_BATCH_SIZE: conversations archived per statement. */
  archiveBatchSize: number;
  /** IMAGE_EXPIRY_CRON: when delete-expired-images runs (default daily 03:00, in ARCHIVE_TIMEZONE). */
  imageExpiryCron: string;
  /** EMAIL_DIGEST_CRON: when send-email-digests runs (every minute; tests that count statements move it away). */
  emailDigestCron: string;
}

function loadPushConfig(env: Env): PushConfig {
  return {
    firebaseServiceAccount: env.FIREBASE_SERVICE_ACCOUNT,
    batchWindowMs: env.PUSH_BATCH_WINDOW_MS,
    maxAttempts: env.PUSH_MAX_ATTEMPTS,
    retryBaseDelayMs: env.PUSH_RETRY_BASE_DELAY_MS,
    recordRetentionDays: env.PUSH_RECORD_RETENTION_DAYS,
  };
}

function loadJobsConfig(env: Env): JobsConfig {
  return {
    inProcess: env.JOBS_IN_PROCESS,
    processEveryMs: env.JOBS_PROCESS_EVERY_MS,
    lockLifetimeMs: env.JOBS_LOCK_LIFETIME_MS,
    drainTimeoutMs: env.JOBS_DRAIN_TIMEOUT_MS,
    archiveCron: env.ARCHIVE_CRON,
    archiveTimezone: env.ARCHIVE_TIMEZONE,
    archiveIdleDays: env.ARCHIVE_IDLE_DAYS,
    archiveBatchSize: env.ARCHIVE_BATCH_SIZE,
    imageExpiryCron: env.IMAGE_EXPIRY_CRON,
    emailDigestCron: env.EMAIL_DIGEST_CRON,
  };
}
