import path from 'node:path';
import { isValidIanaZone } from './push/quiet-hours';

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
  };
  images: ImagesConfig;
  storage: StorageConfig;
  limits: typeof LIMITS;
  realtime: RealtimeConfig;
  push: PushConfig;
  jobs: JobsConfig;
  database: DatabaseConfig;
  outbox: OutboxConfig;
  /** Test builds only (NODE_ENV=test): faults injected on purpose. */
  testHooks: { crashAfterCommit: boolean };
}

/** The hot-path pool (src/db/sql.ts); MikroORM keeps its own pool. */
export interface DatabaseConfig {
  /** DATABASE_POOL_MAX: connections of the hot-path pool. */
  poolMax: number;
  /**
   * DATABASE_PREPARED_STATEMENTS: named prepared statements on the hot paths. Default on, and
   * off when DATABASE_DIRECT_URL differs from DATABASE_URL (a transaction-mode pooler is in front).
   */
  preparedStatements: boolean;
}

/** The transactional outbox (src/services/outbox.ts). */
export interface OutboxConfig {
  /** OUTBOX_LEASE_MS: how long the committing instance may publish an event before any relay does. */
  leaseMs: number;
  /** OUTBOX_SWEEP_MS: how often each instance's relay looks for events whose lease ran out. */
  sweepMs: number;
}

function loadDatabaseConfig(env: NodeJS.ProcessEnv): DatabaseConfig {
  const direct = optional(env, 'DATABASE_DIRECT_URL');
  const pooled = direct !== undefined && direct !== optional(env, 'DATABASE_URL');
  return {
    poolMax: intFromEnv(env, 'DATABASE_POOL_MAX', 10),
    preparedStatements: boolFromEnv(env, 'DATABASE_PREPARED_STATEMENTS', !pooled),
  };
}

function loadOutboxConfig(env: NodeJS.ProcessEnv): OutboxConfig {
  return {
    leaseMs: intFromEnv(env, 'OUTBOX_LEASE_MS', 5000, 100),
    sweepMs: intFromEnv(env, 'OUTBOX_SWEEP_MS', 1000, 50),
  };
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

function loadImagesConfig(env: NodeJS.ProcessEnv): ImagesConfig {
  return {
    urlTtlSeconds: intFromEnv(env, 'IMAGE_URL_TTL_SECONDS', 900),
    retentionDays: intFromEnv(env, 'IMAGE_RETENTION_DAYS', 90),
  };
}

function loadStorageConfig(env: NodeJS.ProcessEnv): StorageConfig {
  const bucket = optional(env, 'S3_BUCKET');
  const endpoint = optional(env, 'S3_ENDPOINT');
  if (!bucket && endpoint) throw new Error('S3_ENDPOINT is set but S3_BUCKET is not');
  const localSecret = optional(env, 'LOCAL_STORAGE_SECRET');
  if (localSecret && localSecret.length < 32) throw new Error('LOCAL_STORAGE_SECRET must be at least 32 characters');
  const publicUrl = optional(env, 'PUBLIC_URL')?.replace(/\/+$/, '');
  if (publicUrl && !/^https?:\/\/[^/]/.test(publicUrl)) throw new Error(`PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  return {
    s3: bucket
      ? { bucket, endpoint, region: optional(env, 'S3_REGION'), forcePathStyle: boolFromEnv(env, 'S3_FORCE_PATH_STYLE', false) }
      : undefined,
    localSecret,
    publicUrl,
  };
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

function boolFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function logFormatFromEnv(env: NodeJS.ProcessEnv, fallback: Config['logFormat']): Config['logFormat'] {
  const raw = optional(env, 'LOG_FORMAT') ?? fallback;
  if (raw !== 'pretty' && raw !== 'json') throw new Error(`LOG_FORMAT must be pretty or json, got "${raw}"`);
  return raw;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** Parses and validates the environment; throws with a readable message on the first bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = (env.NODE_ENV ?? 'development') as Config['nodeEnv'];
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    throw new Error(`NODE_ENV must be development, production or test, got "${nodeEnv}"`);
  }
  const isProduction = nodeEnv === 'production';
  const jwt = {
    secret: optional(env, 'JWT_SECRET'),
    publicKey: optional(env, 'JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n'),
    issuer: optional(env, 'JWT_ISSUER'),
    audience: optional(env, 'JWT_AUDIENCE'),
  };
  if (isProduction && !jwt.secret && !jwt.publicKey) {
    throw new Error('JWT_SECRET or JWT_PUBLIC_KEY is required in production (the generated dev secret is refused)');
  }
  if (jwt.secret && jwt.secret.length < 32) {
    throw new Error('JWT_SECRET must be at least 32 characters');
  }
  return {
    nodeEnv,
    isProduction,
    port: intFromEnv(env, 'PORT', 4000, 0),
    dataDir: path.resolve(env.DATA_DIR ?? './.data'),
    databaseUrl: optional(env, 'DATABASE_URL'),
    redisUrl: optional(env, 'REDIS_URL'),
    migrateOnStart: boolFromEnv(env, 'MIGRATE_ON_START', !isProduction),
    corsOrigins: !optional(env, 'CORS_ORIGINS') || env.CORS_ORIGINS === '*' ? '*' : env.CORS_ORIGINS!.split(',').map((o) => o.trim()),
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    logFormat: logFormatFromEnv(env, nodeEnv === 'development' ? 'pretty' : 'json'),
    jwt,
    messages: {
      maxLength: intFromEnv(env, 'MESSAGE_MAX_LENGTH', 4000),
      rateLimitPerHour: intFromEnv(env, 'RATE_LIMIT_MESSAGES_PER_HOUR', 100),
    },
    images: loadImagesConfig(env),
    storage: loadStorageConfig(env),
    limits: LIMITS,
    realtime: loadRealtimeConfig(env),
    push: loadPushConfig(env),
    jobs: loadJobsConfig(env),
    database: loadDatabaseConfig(env),
    outbox: loadOutboxConfig(env),
    testHooks: { crashAfterCommit: nodeEnv === 'test' && boolFromEnv(env, 'TEST_CRASH_AFTER_COMMIT', false) },
  };
}

function loadRealtimeConfig(env: NodeJS.ProcessEnv): RealtimeConfig {
  const presence = {
    graceMs: intFromEnv(env, 'PRESENCE_GRACE_MS', 10_000),
    heartbeatMs: intFromEnv(env, 'PRESENCE_HEARTBEAT_MS', 10_000),
    instanceTtlMs: intFromEnv(env, 'PRESENCE_INSTANCE_TTL_MS', 30_000),
    sweepMs: intFromEnv(env, 'PRESENCE_SWEEP_MS', 10_000),
  };
  if (presence.instanceTtlMs <= presence.heartbeatMs) {
    throw new Error('PRESENCE_INSTANCE_TTL_MS must be longer than PRESENCE_HEARTBEAT_MS');
  }
  return {
    redisPrefix: env.REDIS_PREFIX ?? '',
    typingTimeoutMs: intFromEnv(env, 'TYPING_TIMEOUT_MS', 6000),
    typingThrottleMs: intFromEnv(env, 'TYPING_THROTTLE_MS', 2000, 0),
    presence,
    ws: {
      maxPayloadBytes: intFromEnv(env, 'WS_MAX_PAYLOAD_BYTES', 64 * 1024, 1024),
      maxSubscriptionsPerSocket: intFromEnv(env, 'WS_MAX_SUBSCRIPTIONS_PER_SOCKET', 100),
      maxSocketsPerUser: intFromEnv(env, 'WS_MAX_SOCKETS_PER_USER', 20),
      maxBufferedBytes: intFromEnv(env, 'WS_MAX_BUFFERED_BYTES', 1024 * 1024, 1024),
      connectionInitTimeoutMs: intFromEnv(env, 'WS_CONNECTION_INIT_TIMEOUT_MS', 3000),
      keepAliveMs: intFromEnv(env, 'WS_KEEPALIVE_MS', 12_000),
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
}

function loadPushConfig(env: NodeJS.ProcessEnv): PushConfig {
  return {
    firebaseServiceAccount: optional(env, 'FIREBASE_SERVICE_ACCOUNT'),
    batchWindowMs: intFromEnv(env, 'PUSH_BATCH_WINDOW_MS', 3000, 0),
    maxAttempts: intFromEnv(env, 'PUSH_MAX_ATTEMPTS', 4),
    retryBaseDelayMs: intFromEnv(env, 'PUSH_RETRY_BASE_DELAY_MS', 200, 0),
    recordRetentionDays: intFromEnv(env, 'PUSH_RECORD_RETENTION_DAYS', 7),
  };
}

// Five or six fields of digits, names and * , - / ? L W #: a typo fails at start, not at 02:00.
const CRON = /^\s*[\w*,/?#-]+(\s+[\w*,/?#-]+){4,5}\s*$/;

function cronFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = optional(env, name) ?? fallback;
  if (!CRON.test(value)) throw new Error(`${name} must be a cron expression such as "0 2 * * *", got "${value}"`);
  return value.trim();
}

function loadJobsConfig(env: NodeJS.ProcessEnv): JobsConfig {
  const archiveTimezone = optional(env, 'ARCHIVE_TIMEZONE') ?? 'UTC';
  if (!isValidIanaZone(archiveTimezone)) throw new Error(`ARCHIVE_TIMEZONE must be an IANA time zone name, got "${archiveTimezone}"`);
  return {
    inProcess: boolFromEnv(env, 'JOBS_IN_PROCESS', true),
    processEveryMs: intFromEnv(env, 'JOBS_PROCESS_EVERY_MS', 5000, 100),
    lockLifetimeMs: intFromEnv(env, 'JOBS_LOCK_LIFETIME_MS', 10 * 60_000, 1000),
    drainTimeoutMs: intFromEnv(env, 'JOBS_DRAIN_TIMEOUT_MS', 15_000, 0),
    archiveCron: cronFromEnv(env, 'ARCHIVE_CRON', '0 2 * * *'),
    archiveTimezone,
    archiveIdleDays: intFromEnv(env, 'ARCHIVE_IDLE_DAYS', 90),
    archiveBatchSize: intFromEnv(env, 'ARCHIVE_BATCH_SIZE', 1000),
    imageExpiryCron: cronFromEnv(env, 'IMAGE_EXPIRY_CRON', '0 3 * * *'),
  };
}
