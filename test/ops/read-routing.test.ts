import type { Redis } from 'ioredis';
import { ReadRouting } from '../../src/db/read-routing';
import type { PgSql, Sql, Statement } from '../../src/db/sql';
import { createLogger } from '../../src/observability/logger';
import { createMetrics, type Metrics } from '../../src/observability/metrics';

/**
 * ReadRouting's decisions with fake pools and a fake Redis (the real replica:
 * read-replica.test.ts): which reads reach the replica, and that every failure ends on the primary.
 */

const READ: Statement = { name: 'read', text: 'select 1' };

class FakeReplica {
  lagMs: number | null = 0;
  failWith: Error | null = null;
  reads = 0;
  async query(statement: Statement): Promise<unknown[]> {
    if (statement.name === 'replica_lag') {
      if (this.failWith) throw this.failWith;
      return [{ lag_ms: this.lagMs === null ? null : String(this.lagMs) }];
    }
    this.reads += 1;
    if (this.failWith) throw this.failWith;
    return [{ on: 'replica' }];
  }
}

class FakeRedis {
  status = 'ready';
  keys = new Map<string, number>();
  existsFails = false;
  existsCalls = 0;
  async set(key: string, _value: string, _px: 'PX', ms: number): Promise<'OK'> {
    this.keys.set(key, ms);
    return 'OK';
  }
  async exists(key: string): Promise<number> {
    this.existsCalls += 1;
    if (this.existsFails) throw new Error('Command timed out');
    return this.keys.has(key) ? 1 : 0;
  }
}

const primary: Sql = { query: async <T>() => [{ on: 'primary' }] as T[] };
const on = async (routing: ReadRouting, viewer = 'u1', fresh?: (rows: { on: string }[]) => boolean) =>
  (await routing.query<{ on: string }>('search', viewer, primary, READ, [], fresh))[0].on;
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

function routingWith(replica: FakeReplica, redis: FakeRedis | undefined, metrics: Metrics, overrides: { afterWriteMs?: number; maxLagMs?: number } = {}): ReadRouting {
  return ReadRouting.withReplica({
    replica: replica as unknown as PgSql,
    redis: redis as unknown as Redis | undefined,
    redisPrefix: 'p:',
    afterWriteMs: overrides.afterWriteMs ?? 60_000,
    maxLagMs: overrides.maxLagMs ?? 10_000,
    probeEveryMs: 60_000,
    logger: createLogger('silent'),
    metrics,
  });
}

async function reasons(metrics: Metrics): Promise<Record<string, number>> {
  const metric = await metrics.dbReads.get();
  return Object.fromEntries(metric.values.map((value) => [`${value.labels.target}/${value.labels.reason}`, value.value]));
}

describe('ReadRouting', () => {
  let routing: ReadRouting | undefined;
  afterEach(async () => {
    await routing?.close();
    routing = undefined;
  });

  test('without a replica every read is the primary query and a write notes nothing', async () => {
    const metrics = createMetrics();
    routing = ReadRouting.primaryOnly();
    routing.noteWrite('u1');
    expect(routing.enabled).toBe(false);
    expect(await on(routing)).toBe('primary');
    expect(await reasons(metrics)).toEqual({});
  });

  test("a user's write keeps their reads on the primary for the window, on other instances through Redis", async () => {
    const replica = new FakeReplica();
    const redis = new FakeRedis();
    const metrics = createMetrics();
    routing = routingWith(replica, redis, metrics, { afterWriteMs: 100 });
    expect(await on(routing)).toBe('replica');
    routing.noteWrite('u1');
    expect(redis.keys.get('p:read-after-write:u1')).toBe(100);
    expect(await on(routing, 'u1')).toBe('primary');
    expect(await on(routing, 'u2')).toBe('replica');

    // Another instance: no marker in its process, the Redis key says u1 wrote.
    const other = routingWith(new FakeReplica(), redis, metrics);
    expect(await on(other, 'u1')).toBe('primary');
    await other.close();

    await new Promise((resolve) => setTimeout(resolve, 120));
    redis.keys.clear(); // the key's TTL, as Redis would expire it
    expect(await on(routing, 'u1')).toBe('replica');
  });

  test('noteWriteStarted is in-process only; Redis failing or away sends reads to the primary', async () => {
    const replica = new FakeReplica();
    const redis = new FakeRedis();
    const metrics = createMetrics();
    routing = routingWith(replica, redis, metrics);
    routing.noteWriteStarted('u1');
    expect(redis.keys.size).toBe(0);
    expect(await on(routing, 'u1')).toBe('primary');

    redis.existsFails = true;
    expect(await on(routing, 'u2')).toBe('primary');
    redis.existsFails = false;
    redis.status = 'reconnecting';
    const calls = redis.existsCalls;
    expect(await on(routing, 'u2')).toBe('primary');
    expect(redis.existsCalls).toBe(calls);
    routing.noteWrite('u3'); // not connected: no command queued
    expect(redis.keys.size).toBe(0);
  });

  test('a failed replica query is retried on the primary; a connection error marks the replica down until a good probe', async () => {
    const replica = new FakeReplica();
    const metrics = createMetrics();
    routing = routingWith(replica, undefined, metrics);
    await tick();

    replica.failWith = Object.assign(new Error('canceling statement due to conflict with recovery'), { code: '40001' });
    expect(await on(routing)).toBe('primary');
    replica.failWith = null;
    expect(await on(routing)).toBe('replica');

    replica.failWith = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' });
    expect(await on(routing)).toBe('primary');
    const reads = replica.reads;
    replica.failWith = null;
    expect(await on(routing)).toBe('primary');
    expect(replica.reads).toBe(reads);
    expect(await reasons(metrics)).toEqual({ 'replica/replica': 1, 'primary/replica_error': 2, 'primary/replica_unavailable': 1 });
  });

  test('a replica lagging past the limit or streaming from nobody serves nothing', async () => {
    const replica = new FakeReplica();
    replica.lagMs = 20_000;
    routing = routingWith(replica, undefined, createMetrics(), { maxLagMs: 10_000 });
    await tick();
    expect(await on(routing)).toBe('primary');

    const notStreaming = new FakeReplica();
    notStreaming.lagMs = null;
    const other = routingWith(notStreaming, undefined, createMetrics());
    await tick();
    expect(await on(other)).toBe('primary');
    await other.close();
  });

  test('rows the caller finds stale are read again on the primary', async () => {
    const metrics = createMetrics();
    routing = routingWith(new FakeReplica(), undefined, metrics);
    expect(await on(routing, 'u1', () => false)).toBe('primary');
    expect(await on(routing, 'u1', () => true)).toBe('replica');
    expect(await reasons(metrics)).toEqual({ 'primary/replica_stale': 1, 'replica/replica': 1 });
  });
});
