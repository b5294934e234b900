import type { Redis } from 'ioredis';
import type { QueryResultRow } from 'pg';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PgSql, Sql, Statement } from './sql';

/** The reads a replica may serve (docs/scaling.md "Read replicas"); nothing else goes there. */
export type ReadPath = 'history' | 'search' | 'conversations';

/** Why a read went where it went: the `reason` label of `db_reads_total`. */
type Route = 'replica' | 'recent_write' | 'replica_unavailable' | 'replica_error' | 'replica_stale';

export interface ReadRoutingOptions {
  /** The pool on DATABASE_READ_URL. */
  replica: PgSql;
  /** DATABASE_READ_AFTER_WRITE_MS: how long after a write of theirs a user's reads stay on the primary. */
  afterWriteMs: number;
  /** DATABASE_READ_MAX_LAG_MS: past this replay lag the replica serves nothing. */
  maxLagMs: number;
  /** How often the replica's health and lag are probed. */
  probeEveryMs: number;
  /**
   * Shares "this user just wrote" across instances (REDIS_URL): a user's next request may land on
   * any instance (no sticky routing), and an in-process marker alone would send it to the replica.
   */
  redis?: Redis;
  redisPrefix?: string;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The one place that decides primary or replica for a read. Only history pages, search and the
 * conversation list ask it; every write and every other read stays on the primary.
 *
 * Without DATABASE_READ_URL ({@link ReadRouting.primaryOnly}) a read is exactly the primary
 * query it was, and a write notes nothing (no Redis round trip on the send path).
 *
 * With a replica, a read goes to the primary when
 * - its viewer wrote less than `afterWriteMs` ago (in-process map, then the Redis key): a user
 *   always sees what they just wrote;
 * - the replica is down or its replay lags more than `maxLagMs` (the probe, or a failed query);
 * - the replica's rows fail the caller's check (`fresh`): a history page shorter than the
 *   primary's conversation row says it must be;
 * - the replica query fails for any reason: the read is retried on the primary, never failed.
 */
export class ReadRouting {
  /** userId → until when (epoch ms) their reads stay on the primary, on this instance. */
  private readonly recentWriters = new Map<string, number>();
  private healthy = true;
  private probeTimer: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;

  private constructor(private readonly options: ReadRoutingOptions | null) {}

  /** No DATABASE_READ_URL: every read on the primary, nothing tracked. */
  static primaryOnly(): ReadRouting {
    return new ReadRouting(null);
  }

  /** Routing to `options.replica`, probed every `probeEveryMs` until {@link close}. */
  static withReplica(options: ReadRoutingOptions): ReadRouting {
    const routing = new ReadRouting(options);
    routing.startProbing();
    return routing;
  }

  get enabled(): boolean {
    return this.options !== null;
  }

  /**
   * A mutation of `userId`'s started: their reads stay on the primary on this instance, the
   * reads of the mutation's own answer included. In-process only; {@link noteWrite} follows.
   */
  noteWriteStarted(userId: string): void {
    const options = this.options;
    if (!options) return;
    this.recentWriters.set(userId, Date.now() + options.afterWriteMs);
  }

  /**
   * A mutation of `userId`'s ended (its writes committed): their reads stay on the primary for
   * the window from now, on this instance and, with Redis, on every instance. The Redis SET is
   * not awaited (auto-pipelined, fire-and-forget): a mutation never waits for it, and a lost
   * one costs at most a read on another instance that misses the write until the replica replays it.
   */
  noteWrite(userId: string): void {
    const options = this.options;
    if (!options) return;
    this.noteWriteStarted(userId);
    if (options.redis?.status !== 'ready') return;
    options.redis.set(this.key(userId), '1', 'PX', options.afterWriteMs).catch((error: unknown) => {
      options.logger.debug({ err: error }, 'read-after-write marker not stored');
    });
  }

  /**
   * Runs a read of `viewerId`'s on the replica when allowed, else on `primary` (the Sql the read
   * used before replicas existed). `fresh` may reject the replica's rows as stale: the read then
   * runs again on the primary.
   */
  async query<T extends QueryResultRow>(
    path: ReadPath,
    viewerId: string,
    primary: Sql,
    statement: Statement,
    values: unknown[],
    fresh?: (rows: T[]) => boolean,
  ): Promise<T[]> {
    const options = this.options;
    if (!options) return primary.query<T>(statement, values);
    const route = await this.route(viewerId);
    if (route !== 'replica') return this.onPrimary(path, route, primary, statement, values);
    let rows: T[];
    try {
      rows = await options.replica.query<T>(statement, values);
    } catch (error) {
      if (isConnectionError(error)) this.markUnhealthy();
      options.logger.warn({ err: error, path, db: 'replica' }, 'replica read failed: retried on the primary');
      return this.onPrimary(path, 'replica_error', primary, statement, values);
    }
    if (fresh && !fresh(rows)) return this.onPrimary(path, 'replica_stale', primary, statement, values);
    options.metrics.dbReads.inc({ path, target: 'replica', reason: 'replica' });
    return rows;
  }

  async close(): Promise<void> {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    await this.probing;
  }

  private async onPrimary<T extends QueryResultRow>(path: ReadPath, reason: Route, primary: Sql, statement: Statement, values: unknown[]): Promise<T[]> {
    this.options?.metrics.dbReads.inc({ path, target: 'primary', reason });
    return primary.query<T>(statement, values);
  }

  private async route(viewerId: string): Promise<Route> {
    const options = this.options!;
    const until = this.recentWriters.get(viewerId);
    if (until !== undefined) {
      if (until > Date.now()) return 'recent_write';
      this.recentWriters.delete(viewerId);
    }
    if (!this.healthy) return 'replica_unavailable';
    if (!options.redis) return 'replica';
    // Not connected: a command would wait in the offline queue; the primary answers now.
    if (options.redis.status !== 'ready') return 'recent_write';
    try {
      return (await options.redis.exists(this.key(viewerId))) > 0 ? 'recent_write' : 'replica';
    } catch {
      // Redis cannot say whether this user just wrote elsewhere: the primary is always right.
      return 'recent_write';
    }
  }

  private key(userId: string): string {
    return `${this.options!.redisPrefix ?? ''}read-after-write:${userId}`;
  }

  private forgetExpired(now: number): void {
    for (const [userId, until] of this.recentWriters) if (until <= now) this.recentWriters.delete(userId);
  }

  /** A failed connection: the replica serves nothing until the next probe succeeds. */
  private markUnhealthy(): void {
    if (this.healthy) this.options!.logger.warn({ db: 'replica' }, 'read replica unavailable: reads go to the primary');
    this.healthy = false;
  }

  private startProbing(): void {
    const every = this.options!.probeEveryMs;
    this.probeTimer = setInterval(() => {
      // Expired markers go here, once a second, rather than on each write (a sweep per send would cost O(writers)).
      this.forgetExpired(Date.now());
      this.probing ??= this.probe().finally(() => (this.probing = null));
    }, every);
    this.probeTimer.unref();
    this.probing = this.probe().finally(() => (this.probing = null));
  }

  /**
   * The replica's replay lag: 0 while it has replayed all it received (or is no standby at all),
   * else the age of the last transaction it replayed; null when it streams from nobody (its WAL
   * receiver is down, so it falls behind without knowing by how much).
   */
  private async probe(): Promise<void> {
    const options = this.options!;
    let healthy: boolean;
    let lagMs: number | null = null;
    try {
      const [row] = await options.replica.query<{ lag_ms: string | null }>(LAG, []);
      lagMs = row.lag_ms === null ? null : Number(row.lag_ms);
      healthy = lagMs !== null && lagMs <= options.maxLagMs;
    } catch (error) {
      options.logger.debug({ err: error, db: 'replica' }, 'read replica probe failed');
      healthy = false;
    }
    options.metrics.dbReplicaLag.set(lagMs === null ? -1 : lagMs / 1000);
    if (healthy !== this.healthy) {
      if (healthy) options.logger.info({ db: 'replica', lagMs }, 'read replica available again');
      else options.logger.warn({ db: 'replica', lagMs, maxLagMs: options.maxLagMs }, 'read replica down or lagging: reads go to the primary');
    }
    this.healthy = healthy;
  }
}

const LAG: Statement = {
  name: 'replica_lag',
  text: `select case when not pg_is_in_recovery() then 0
                     when not exists (select 1 from pg_stat_wal_receiver) then null
                     when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
                     else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000, 0)
                end as lag_ms`,
};

/**
 * An error that says the replica cannot be reached or is going away: no code or a Node system
 * code (ECONNREFUSED, EPIPE: no SQLSTATE class starts with E), a client timeout, SQLSTATE class
 * 08 (connection exception) or 57P0x (shutdown, crash, not accepting connections yet).
 */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || code.startsWith('E')) return true;
  return code.startsWith('08') || code.startsWith('57P');
}
