import path from 'node:path';
import { DefaultLogger, type LogContext, type LoggerNamespace, type LoggerOptions } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { entities } from '../schema/entities';
import type { PoolStats } from './sql';
import { clientTimeouts } from './timeouts';

/** Called for every SQL statement MikroORM runs: feeds the metrics and the N+1 tests. */
export type QueryListener = (query: string, tookMs: number | undefined) => void;

const queryListeners = new Set<QueryListener>();

/** Subscribes to executed SQL; returns the unsubscribe function. */
export function onQuery(listener: QueryListener): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

/** Tells the listeners about one executed statement (MikroORM's and the hot-path pool's). */
export function notifyQueryListeners(query: string, tookMs: number | undefined): void {
  for (const listener of queryListeners) listener(query, tookMs);
}

/** Passes queries to the listeners; prints nothing unless MikroORM's debug mode is on. */
class ObservedLogger extends DefaultLogger {
  override logQuery(context: { query: string } & LogContext): void {
    notifyQueryListeners(context.query, context.took);
    super.logQuery(context);
  }
}

/** The project root from TypeScript sources, or dist/ when compiled: migrations sit beside src/ in both. */
const projectRoot = path.resolve(__dirname, '..', '..');
/** Running from TypeScript sources (ts-node, Jest) or from the compiled dist/. */
const runningTs = __filename.endsWith('.ts');

/** MikroORM options for the given connection string; tests and scripts override pieces. */
export function ormOptions(clientUrl: string, overrides: Partial<Options> = {}): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    // Decorators carry explicit types: no ts-morph, no temp/ cache, same metadata in ts and js.
    discovery: { requireEntitiesArray: true },
    extensions: [Migrator],
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: path.join(projectRoot, 'migrations'),
      glob: runningTs ? '!(*.d).ts' : '!(*.d).js',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    pool: { min: 1, max: 10 },
    // Entities are loaded per request through forks; the global context must never be used.
    allowGlobalContext: false,
    loggerFactory: (options: LoggerOptions) => new ObservedLogger(options),
    debug: process.env.MIKRO_ORM_DEBUG === 'true' ? (['query'] as LoggerNamespace[]) : false,
    ...overrides,
  };
}

/** Options of {@link initORM} besides MikroORM's own. */
export interface InitOrmOptions {
  /** Apply pending migrations first. */
  migrate?: boolean;
  /** Where migrations run (DATABASE_DIRECT_URL): never through a transaction-mode pooler. Default `clientUrl`. */
  migrateUrl?: string;
  /** Bounds every statement of this ORM (see clientTimeouts in db/timeouts.ts). */
  statementTimeoutMs?: number;
  /** Send `statement_timeout` as a startup parameter (false behind PgBouncer, which refuses it). Default true. */
  serverTimeouts?: boolean;
}

/**
 * Connects MikroORM; `migrate` applies pending migrations first. Migrations run unbounded on a
 * connection of their own (a long one must not fail half-way at a request's timeout), to
 * `migrateUrl` when that is not `clientUrl`.
 */
export async function initORM(clientUrl: string, opts: InitOrmOptions & Partial<Options> = {}) {
  const { migrate, migrateUrl = clientUrl, statementTimeoutMs, serverTimeouts = true, ...overrides } = opts;
  const separateMigrator = Boolean(statementTimeoutMs) || migrateUrl !== clientUrl;
  if (migrate && separateMigrator) {
    const migrator = await MikroORM.init(ormOptions(migrateUrl, overrides));
    try {
      await migrator.getMigrator().up();
    } finally {
      await migrator.close();
    }
  }
  const timeouts = statementTimeoutMs
    ? { driverOptions: { connection: clientTimeouts(statementTimeoutMs, serverTimeouts) }, pool: { min: 1, max: 10, acquireTimeoutMillis: statementTimeoutMs + 1000 } }
    : {};
  const orm = await MikroORM.init(ormOptions(clientUrl, { ...timeouts, ...overrides }));
  if (migrate && !separateMigrator) await orm.getMigrator().up();
  return orm;
}

export type Orm = MikroORM;

/**
 * MikroORM's own pool (knex's tarn pool), for the saturation gauges of /metrics; undefined
 * before knex has created it.
 */
export function ormPoolStats(orm: Orm): PoolStats | undefined {
  const pool = orm.em.getConnection().getKnex().client.pool;
  if (!pool) return undefined;
  const max = orm.config.get('pool')?.max ?? 10;
  return { inUse: pool.numUsed(), idle: pool.numFree(), waiting: pool.numPendingAcquires(), max };
}
