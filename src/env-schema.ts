import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { isValidIanaZone } from './push/quiet-hours';
import { parseOperationLimits } from './services/operation-limits';

/** The environment is wrong; `problems` names every variable at fault, not only the first. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** A variable's text; an empty one counts as unset, as a blank line in an env file means. */
const text = z
  .string()
  .optional()
  .transform((raw) => (raw === '' ? undefined : raw));

function int(fallback: number, min = 1) {
  return text.transform((raw, ctx) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= min) return value;
    ctx.addIssue({ code: 'custom', message: `must be an integer >= ${min}, got "${raw}"` });
    return z.NEVER;
  });
}

/** A number (decimals allowed) of at least `min`. */
function decimal(fallback: number, min: number) {
  return text.transform((raw, ctx) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (Number.isFinite(value) && value >= min) return value;
    ctx.addIssue({ code: 'custom', message: `must be a number >= ${min}, got "${raw}"` });
    return z.NEVER;
  });
}

/** true/1/yes or false/0/no; unset stays undefined, for defaults that depend on other settings. */
const optionalBool = text.transform((raw, ctx): boolean | undefined => {
  if (raw === undefined) return undefined;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  ctx.addIssue({ code: 'custom', message: `must be true or false, got "${raw}"` });
  return z.NEVER;
});

function bool(fallback: boolean) {
  return optionalBool.transform((value) => value ?? fallback);
}

/** Secrets shorter than this are refused: they could be guessed. */
const secret = text.refine((value) => value === undefined || value.length >= 32, 'must be at least 32 characters');

/** A cron expression cron-parser accepts, so that a typo fails at start, not at 02:00. */
function cron(fallback: string) {
  return text.transform((raw, ctx) => {
    const value = (raw ?? fallback).trim();
    try {
      CronExpressionParser.parse(value);
      return value;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      ctx.addIssue({ code: 'custom', message: `must be a cron expression such as "0 2 * * *", got "${value}" (${reason})` });
      return z.NEVER;
    }
  });
}

/**
 * Every environment variable the service reads, with its default and rule. Parsing it collects
 * every bad variable before failing (see {@link parseEnv}).
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { error: (issue) => `must be development, production or test, got "${String(issue.input)}"` }).default('development'),
  PORT: int(4000, 0),
  DATA_DIR: z.string().default('./.data'),
  DATABASE_URL: text,
  DATABASE_DIRECT_URL: text,
  DATABASE_POOL_MAX: int(10),
  DATABASE_PREPARED_STATEMENTS: optionalBool,
  DATABASE_STATEMENT_TIMEOUT_MS: int(5000, 0),
  DATABASE_ORM_STATEMENT_TIMEOUT_MS: int(15_000, 0),
  DATABASE_READ_URL: text,
  DATABASE_READ_AFTER_WRITE_MS: int(5000, 0),
  DATABASE_READ_MAX_LAG_MS: int(10_000, 0),
  DATABASE_READ_POOL_MAX: int(10),
  REDIS_URL: text,
  REDIS_PREFIX: z.string().default(''),
  MIGRATE_ON_START: optionalBool,
  LOG_LEVEL: z.string().optional(),
  LOG_FORMAT: z
    .preprocess((value) => (value === '' ? undefined : value), z.enum(['pretty', 'json'], { error: (issue) => `must be pretty or json, got "${String(issue.input)}"` }).optional()),
  CORS_ORIGINS: text,
  JWT_SECRET: secret,
  JWT_PUBLIC_KEY: text,
  JWT_ISSUER: text,
  JWT_AUDIENCE: text,
  MESSAGE_MAX_LENGTH: int(4000),
  MESSAGE_EDIT_WINDOW_MINUTES: int(1440),
  RATE_LIMIT_MESSAGES_PER_HOUR: int(100),
  CONTACT_INFO_POLICY: z
    .preprocess((value) => (value === '' ? undefined : value), z.enum(['flag', 'mask', 'block'], { error: (issue) => `must be flag, mask or block, got "${String(issue.input)}"` }))
    .default('flag'),
  EXPORT_INLINE_MAX_MESSAGES: int(5000, 0),
  IMAGE_URL_TTL_SECONDS: int(900),
  IMAGE_RETENTION_DAYS: int(90),
  S3_BUCKET: text,
  S3_ENDPOINT: text,
  S3_REGION: text,
  S3_FORCE_PATH_STYLE: bool(false),
  LOCAL_STORAGE_SECRET: secret,
  PUBLIC_URL: text
    .transform((value) => value?.replace(/\/+$/, ''))
    .refine((value) => value === undefined || /^https?:\/\/[^/]/.test(value), { error: (issue) => `must be an http(s) URL, got "${String(issue.input)}"` }),
  TYPING_TIMEOUT_MS: int(6000),
  TYPING_THROTTLE_MS: int(2000, 0),
  PRESENCE_GRACE_MS: int(10_000),
  PRESENCE_HEARTBEAT_MS: int(10_000),
  PRESENCE_INSTANCE_TTL_MS: int(30_000),
  PRESENCE_SWEEP_MS: int(10_000),
  WS_MAX_PAYLOAD_BYTES: int(64 * 1024, 1024),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: int(100),
  WS_MAX_SOCKETS_PER_USER: int(20),
  WS_MAX_SUBSCRIPTIONS_PER_USER: int(100),
  WS_MAX_BUFFERED_BYTES: int(1024 * 1024, 1024),
  WS_CONNECTION_INIT_TIMEOUT_MS: int(3000),
  WS_KEEPALIVE_MS: int(12_000),
  FIREBASE_SERVICE_ACCOUNT: text,
  PUSH_BATCH_WINDOW_MS: int(3000, 0),
  PUSH_MAX_ATTEMPTS: int(4),
  PUSH_RETRY_BASE_DELAY_MS: int(200, 0),
  PUSH_RECORD_RETENTION_DAYS: int(7),
  JOBS_IN_PROCESS: bool(true),
  JOBS_PROCESS_EVERY_MS: int(5000, 100),
  JOBS_LOCK_LIFETIME_MS: int(10 * 60_000, 1000),
  JOBS_DRAIN_TIMEOUT_MS: int(15_000, 0),
  ARCHIVE_CRON: cron('0 2 * * *'),
  ARCHIVE_TIMEZONE: text
    .transform((value) => value ?? 'UTC')
    .refine(isValidIanaZone, { error: (issue) => `must be an IANA time zone name, got "${String(issue.input)}"` }),
  ARCHIVE_IDLE_DAYS: int(90),
  ARCHIVE_BATCH_SIZE: int(1000),
  IMAGE_EXPIRY_CRON: cron('0 3 * * *'),
  EMAIL_DIGEST_CRON: cron('* * * * *'),
  OUTBOX_LEASE_MS: int(5000, 100),
  OUTBOX_SWEEP_MS: int(1000, 50),
  TEST_CRASH_AFTER_COMMIT: bool(false),
  TEST_HOLD_AFTER_COMMIT_MS: int(0, 0),
  SHUTDOWN_DRAIN_MS: int(10_000, 0),
  SERVE_WEB_APP: optionalBool,
  WEB_APP_DIR: z.string().default('./web/dist'),
  // Abuse limits (docs/reliability.md, Attacks; src/abuse-config.ts).
  TRUST_PROXY: text,
  RATE_LIMITS: text.transform((raw, ctx) => {
    try {
      return parseOperationLimits(raw);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  }),
  WS_MAX_MESSAGES_PER_SECOND: int(50),
  HTTP_MAX_CONCURRENT_PER_USER: int(16),
  PUSH_MAX_DEVICES_PER_USER: int(20),
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100),
  HTTP_REQUEST_TIMEOUT_MS: int(60_000, 100),
  HTTP_MAX_CONNECTIONS_PER_IP: int(256, 0), // 0: no cap (behind a load balancer)
  METRICS_PORT: int(0, 0),
  METRICS_TOKEN: text,
  WEBHOOK_ALLOW_PRIVATE_URLS: optionalBool,
  WEBHOOK_RETRY_BASE_SECONDS: decimal(5, 0.01),
  WEBHOOK_TIMEOUT_MS: int(10_000, 100),
  WEBHOOK_DISPATCH_MS: int(1000, 50),
  SMTP_URL: text,
  EMAIL_FROM: text,
  EMAIL_DIGEST_DELAY_MINUTES: decimal(30, 0),
  EMAIL_DIGEST_INTERVAL_MINUTES: decimal(360, 0),
  APP_URL: text,
});

export type Env = z.output<typeof envSchema>;

/** Rules between variables, checked once each variable is valid on its own. */
function crossProblems(env: Env): string[] {
  const problems: string[] = [];
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET && !env.JWT_PUBLIC_KEY) {
    problems.push('JWT_SECRET or JWT_PUBLIC_KEY is required in production (the generated dev secret is refused)');
  }
  if (env.S3_ENDPOINT && !env.S3_BUCKET) problems.push('S3_ENDPOINT is set but S3_BUCKET is not');
  if (env.PRESENCE_INSTANCE_TTL_MS <= env.PRESENCE_HEARTBEAT_MS) problems.push('PRESENCE_INSTANCE_TTL_MS must be longer than PRESENCE_HEARTBEAT_MS');
  return problems;
}

/** Parses the environment, or throws one {@link ConfigError} naming every bad variable. */
export function parseEnv(raw: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const problems = crossProblems(result.data);
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}
