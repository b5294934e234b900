import type { EntityManager } from '@mikro-orm/postgresql';
import { Pool, type PoolConfig, type QueryResultRow } from 'pg';
import { notifyQueryListeners } from './orm';
import { clientTimeouts } from './timeouts';

/**
 * A hot-path SQL statement: `$1, $2, ...` placeholders, each used once and in order, so that
 * the same text runs through the pool (bind values) or a MikroORM transaction.
 * `name` makes it a named prepared statement where that is allowed (see PgSql).
 */
export interface Statement {
  name: string;
  text: string;
}

/** Runs statements: the pool of the hot paths, or the transaction of a MikroORM fork. */
export interface Sql {
  query<T extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<T[]>;
}

/** A connection pool's state: connections checked out, idle, callers waiting for one, and its size. */
export interface PoolStats {
  inUse: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface PgSqlOptions {
  connectionString: string;
  /** Pool size; MikroORM's own pool is separate. */
  max: number;
  /**
   * Named prepared statements (planned once per connection). Off behind a transaction-mode
   * pooler (PgBouncer before 1.21 cannot route them to the connection that prepared them).
   */
  preparedStatements: boolean;
  /** statement_timeout of the pool's connections, in ms (0: none). */
  statementTimeoutMs?: number;
  /** Send it as a startup parameter too (false behind PgBouncer, which refuses it); default true. */
  serverTimeouts?: boolean;
  /** Bound on opening a connection, in ms, instead of the statement timeout's (a replica that others can stand in for). */
  connectTimeoutMs?: number;
}

/**
 * The pool of the request hot paths (send, replay, mark read). It sends values as bind
 * parameters, never inlined literals (MikroORM's `execute` inlines them, so PostgreSQL parses
 * and plans every statement again), and stays out of MikroORM's AsyncLocalStorage contexts.
 */
export class PgSql implements Sql {
  readonly pool: Pool;
  private readonly prepared: boolean;
  private readonly max: number;

  constructor(options: PgSqlOptions) {
    const config: PoolConfig = { connectionString: options.connectionString, max: options.max };
    if (options.statementTimeoutMs) Object.assign(config, clientTimeouts(options.statementTimeoutMs, options.serverTimeouts ?? true));
    if (options.connectTimeoutMs) config.connectionTimeoutMillis = options.connectTimeoutMs;
    this.pool = new Pool(config);
    // An idle client that loses its server emits 'error' on the pool; the next query reconnects.
    this.pool.on('error', () => {});
    this.prepared = options.preparedStatements;
    this.max = options.max;
  }

  /** The pool's connections now, for the saturation gauges of /metrics. */
  stats(): PoolStats {
    const { totalCount, idleCount, waitingCount } = this.pool;
    return { inUse: totalCount - idleCount, idle: idleCount, waiting: waitingCount, max: this.max };
  }

  async query<T extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<T[]> {
    const started = performance.now();
    const result = await this.pool.query<T>(this.prepared ? { name: statement.name, text: statement.text, values } : { text: statement.text, values });
    notifyQueryListeners(statement.text, performance.now() - started);
    return result.rows;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * Runs hot-path statements inside a MikroORM fork or transaction (e.g. a conversation's creation).
 * MikroORM's `execute` inlines values and writes an array as a comma list: a statement run here
 * or through `em.execute` takes an array parameter as `array[?]::uuid[]` (the library escapes
 * each element), never as a `{...}` literal joined by hand.
 */
export class EmSql implements Sql {
  constructor(private readonly em: EntityManager) {}

  async query<T extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<T[]> {
    // MikroORM's placeholders are `?`: the statements use each `$n` once, in order.
    return this.em.execute(statement.text.replace(/\$\d+/g, '?'), values) as Promise<T[]>;
  }
}
