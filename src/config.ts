import path from 'node:path';

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
  limits: typeof LIMITS;
}

/**
 * Abuse limits on every GraphQL operation, over HTTP and WebSocket alike.
 * Each one has a test in test/limits.test.ts.
 */
export const LIMITS = {
  /** Deepest selection allowed; the contract's deepest useful query is about 6. */
  maxDepth: 10,
  /** Aliases per operation: blocks alias-amplified batching inside one request. */
  maxAliases: 15,
  /** Directives per operation. */
  maxDirectives: 20,
  /** graphql-armor cost units per operation. */
  maxCost: 5000,
  /** JSON request body cap for POST /graphql (uploads have their own cap). */
  maxBodyBytes: 100 * 1024,
  /** Page size caps of the connections. */
  maxPageSize: 100,
  defaultMessagePageSize: 50,
  defaultConversationPageSize: 20,
} as const;

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
    jwt,
    messages: {
      maxLength: intFromEnv(env, 'MESSAGE_MAX_LENGTH', 4000),
      rateLimitPerHour: intFromEnv(env, 'RATE_LIMIT_MESSAGES_PER_HOUR', 100),
    },
    limits: LIMITS,
  };
}
