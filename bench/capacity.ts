/**
 * npm run bench:capacity — the per-message figures of docs/scaling.md's capacity plan (issue 15
 * point 7), counted on servers of this run's own so that nothing else shows in them: a
 * PostgreSQL cluster (initdb on a free port, test/faults/own-postgres.ts) and a redis-server
 * (`--save ''`, test/faults/own-redis.ts), the service from the build in production mode.
 *
 * Each phase sends BENCH_CAPACITY_MESSAGES messages over HTTP (BENCH_CAPACITY_SENDERS concurrent
 * senders, each in a conversation of its own) and reads, before and after, the counters of the three servers: Redis `INFO
 * commandstats` (calls per command) and `INFO cpu`; PostgreSQL's rows inserted, updated and
 * deleted per table (pg_stat_user_tables), commits, WAL records and bytes (pg_stat_wal), the
 * CPU of the cluster's processes; the service's CPU (/proc). An idle interval of the same
 * length is measured first and subtracted: the relay's poll, the scheduler and the presence
 * heartbeat run whether messages flow or not.
 *
 * Phases: recipients offline (no socket: the push path), both participants online (an inbox
 * and a thread subscription each: 4 sockets per conversation), and the same with
 * BENCH_CAPACITY_FANOUT more thread sockets per conversation, whose extra CPU over the second
 * phase, divided by the extra deliveries, is the CPU per delivery.
 *
 * Settings: BENCH_CAPACITY_MESSAGES (600), BENCH_CAPACITY_FANOUT (100), BENCH_CAPACITY_SENDERS (4:
 * concurrent senders, each in a conversation of its own), BENCH_PORT (4831),
 * BENCH_SERVER_NODE_ARGS (node flags of the service, e.g. --cpu-prof).
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { Client } from 'pg';
import { signDevToken } from '../src/auth/token-issuer';
import { OwnPostgres } from '../test/faults/own-postgres';
import { OwnRedis } from '../test/faults/own-redis';
import { BENCH_NO_ABUSE_LIMITS, BENCH_SECRET, graphql, processCpuSeconds, startServerProcess, type ServerProcess } from './lib';
import { openGraphqlSubscriber, type Subscriber } from './realtime-clients';

const MESSAGES = Number(process.env.BENCH_CAPACITY_MESSAGES ?? 600);
const FANOUT = Number(process.env.BENCH_CAPACITY_FANOUT ?? 100);
const PORT = Number(process.env.BENCH_PORT ?? 4831);
const SENDERS = Number(process.env.BENCH_CAPACITY_SENDERS ?? 4);
/** PostgreSQL 15 backends flush their table counters at most every second, and within 10 s when idle. */
const STATS_FLUSH_MS = 11_000;
const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id sequence } }`;
const THREAD = `subscription Thread($id: ID) { messageReceived(conversationId: $id) { id sequence content sender { id displayName } } }`;
const INBOX = `subscription Inbox { messageReceived { id conversationId sequence content sender { id displayName } } }`;

interface Counters {
  at: number;
  redis: Map<string, number>;
  redisCpu: number;
  tables: Map<string, { ins: number; upd: number; del: number }>;
  commits: number;
  walRecords: number;
  walBytes: number;
  pgCpu: number;
  serviceCpu: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function redisInfo(port: number, section: string): string {
  return execFileSync('redis-cli', ['-p', String(port), 'info', section], { encoding: 'utf8' });
}

/** CPU seconds of the cluster: the postmaster and its children (backends, checkpointer, WAL writer...). */
function clusterCpu(postmaster: number): number {
  let total = processCpuSeconds(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]) === postmaster) total += processCpuSeconds(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

async function read(pg: OwnPostgres, redis: OwnRedis, server: ServerProcess): Promise<Counters> {
  const redisCalls = new Map<string, number>();
  for (const match of redisInfo(redis.port, 'commandstats').matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) redisCalls.set(match[1], Number(match[2]));
  const cpu = redisInfo(redis.port, 'cpu');
  const redisCpu = Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1]) + Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1]);
  const db = new Client({ connectionString: pg.url() });
  await db.connect();
  try {
    const tables = new Map<string, { ins: number; upd: number; del: number }>();
    for (const row of (await db.query<{ relname: string; ins: string; upd: string; del: string }>('select relname, n_tup_ins as ins, n_tup_upd as upd, n_tup_del as del from pg_stat_user_tables')).rows) {
      tables.set(row.relname, { ins: Number(row.ins), upd: Number(row.upd), del: Number(row.del) });
    }
    const commits = Number((await db.query<{ n: string }>(`select xact_commit as n from pg_stat_database where datname = 'messaging'`)).rows[0].n);
    const wal = (await db.query<{ records: string; bytes: string }>('select wal_records as records, wal_bytes as bytes from pg_stat_wal')).rows[0];
    return {
      at: performance.now(),
      redis: redisCalls,
      redisCpu,
      tables,
      commits,
      walRecords: Number(wal.records),
      walBytes: Number(wal.bytes),
      pgCpu: clusterCpu(pg.postmasterPid()),
      serviceCpu: processCpuSeconds(server.pid),
    };
  } finally {
    await db.end();
  }
}

/** after - before, less the idle interval's rate over the same duration: what the messages cost. */
function perMessage(idle: [Counters, Counters], run: [Counters, Counters], messages: number) {
  const scale = (run[1].at - run[0].at) / (idle[1].at - idle[0].at);
  const net = (pick: (c: Counters) => number) => (pick(run[1]) - pick(run[0]) - scale * (pick(idle[1]) - pick(idle[0]))) / messages;
  const commands = [...new Set([...run[1].redis.keys()])]
    .map((name) => ({ name, n: net((c) => c.redis.get(name) ?? 0) }))
    .filter((c) => Math.abs(c.n) >= 0.01 && !['info', 'ping'].includes(c.name))
    .sort((a, b) => b.n - a.n);
  const tables = [...run[1].tables.keys()]
    .map((name) => ({
      name,
      ins: net((c) => c.tables.get(name)?.ins ?? 0),
      upd: net((c) => c.tables.get(name)?.upd ?? 0),
      del: net((c) => c.tables.get(name)?.del ?? 0),
    }))
    .filter((t) => Math.abs(t.ins) + Math.abs(t.upd) + Math.abs(t.del) >= 0.01);
  return {
    commands,
    tables,
    commits: net((c) => c.commits),
    walRecords: net((c) => c.walRecords),
    walBytes: net((c) => c.walBytes),
    pgCpuMs: net((c) => c.pgCpu) * 1000,
    redisCpuMs: net((c) => c.redisCpu) * 1000,
    serviceCpuMs: net((c) => c.serviceCpu) * 1000,
  };
}

async function sendAll(url: string, senders: { token: string; conversation: string }[], messages: number): Promise<number> {
  let next = 0;
  let failed = 0;
  await Promise.all(
    senders.map(async (s) => {
      while (next < messages) {
        next += 1;
        const out = await graphql(url, s.token, SEND, { input: { conversationId: s.conversation, content: 'Hola, ¿sigue abierto el trabajo? Puedo empezar el lunes.', clientMessageId: randomUUID() } });
        if (out.errors) failed += 1;
      }
    }),
  );
  return failed;
}

async function subscribe(url: string, token: string, query: string, variables: Record<string, unknown>, counter: { n: number }): Promise<Subscriber> {
  const subscriber = openGraphqlSubscriber('thin', url.replace(/^http/, 'ws') + '/graphql', token, query, variables, {
    onData: () => (counter.n += 1),
    onError: (message) => console.error(`subscriber error: ${message}`),
    onClose: () => {},
  });
  await subscriber.connected;
  return subscriber;
}

function print(title: string, r: ReturnType<typeof perMessage>, deliveries: number): void {
  console.log(`\n${title}`);
  console.log(`  service CPU ${r.serviceCpuMs.toFixed(2)} ms per message; PostgreSQL CPU ${r.pgCpuMs.toFixed(2)} ms; Redis CPU ${r.redisCpuMs.toFixed(3)} ms; deliveries ${deliveries.toFixed(1)} per message`);
  console.log(`  Redis commands per message: ${r.commands.map((c) => `${c.name} ${c.n.toFixed(2)}`).join(', ')} (total ${r.commands.reduce((a, c) => a + c.n, 0).toFixed(2)})`);
  console.log(`  PostgreSQL per message: ${r.commits.toFixed(2)} commits, ${r.walRecords.toFixed(1)} WAL records, ${(r.walBytes / 1024).toFixed(2)} KiB WAL`);
  for (const t of r.tables) console.log(`    ${t.name.padEnd(28)} inserted ${t.ins.toFixed(2)}  updated ${t.upd.toFixed(2)}  deleted ${t.del.toFixed(2)}`);
}

async function main(): Promise<void> {
  console.log(`bench:capacity — ${MESSAGES} messages per phase, ${SENDERS} senders; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const pg = await OwnPostgres.start();
  const redis = await OwnRedis.create();
  await redis.start();
  let server: ServerProcess | undefined;
  const sockets: Subscriber[] = [];
  try {
    server = await startServerProcess(
      { DATABASE_URL: pg.url(), REDIS_URL: redis.url, JWT_SECRET: BENCH_SECRET, RATE_LIMIT_MESSAGES_PER_HOUR: '100000000', ...BENCH_NO_ABUSE_LIMITS, MIGRATE_ON_START: 'false' },
      PORT,
      // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/capacity-profile"
      process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
      true,
    );
    const users = await Promise.all(Array.from({ length: SENDERS * 2 }, async (_, i) => ({ id: randomUUID(), i, token: '' })));
    for (const u of users) u.token = await signDevToken(BENCH_SECRET, { sub: u.id, name: `Capacity ${u.i}`, ttl: '2h' });
    const conversations = Array.from({ length: SENDERS }, () => randomUUID());
    const db = new Client({ connectionString: pg.url() });
    await db.connect();
    await db.query(`insert into users (id, display_name) select * from unnest($1::uuid[], $2::text[])`, [users.map((u) => u.id), users.map((u) => `Capacity ${u.i}`)]);
    const pairs = conversations.map((_, p) => [users[2 * p].id, users[2 * p + 1].id].sort());
    await db.query(`insert into conversations (id, participant_a_id, participant_b_id) select * from unnest($1::uuid[], $2::uuid[], $3::uuid[])`, [conversations, pairs.map((o) => o[0]), pairs.map((o) => o[1])]);
    // Each recipient has a phone: an offline recipient is then due a push.
    await db.query(`insert into push_devices (id, user_id, token, platform) select gen_random_uuid(), u, 'capacity-device-' || u, 'ANDROID' from unnest($1::uuid[]) u`, [users.filter((u) => u.i % 2 === 1).map((u) => u.id)]);
    await db.end();
    const senders = conversations.map((conversation, p) => ({ token: users[2 * p].token, conversation }));
    await sendAll(server.url, senders, 100); // warm-up: JIT, pools, prepared statements
    await sleep(STATS_FLUSH_MS);

    const phase = async (title: string, counter: { n: number }) => {
      const idle0 = await read(pg, redis, server!);
      // The service's CPU over the sends alone, less its idle rate over as long: a second
      // reading beside the interval method below, which also counts the work that trails the
      // sends (push jobs, acknowledgements) but subtracts a noisier 20-second idle interval.
      const quiet0 = processCpuSeconds(server!.pid);
      const q0 = performance.now();
      await sleep(3000);
      const idleRate = (processCpuSeconds(server!.pid) - quiet0) / ((performance.now() - q0) / 1000);
      const cpu0 = processCpuSeconds(server!.pid);
      const t0 = performance.now();
      const before = counter.n;
      const failed = await sendAll(server!.url, senders, MESSAGES);
      const sendSeconds = (performance.now() - t0) / 1000;
      const duringSendsMs = ((processCpuSeconds(server!.pid) - cpu0 - idleRate * sendSeconds) * 1000) / MESSAGES;
      const deliveredDuringSends = (counter.n - before) / MESSAGES;
      await sleep(STATS_FLUSH_MS);
      const run1 = await read(pg, redis, server!);
      // The idle interval right after, as long as the run (the flush wait included).
      await sleep(run1.at - idle0.at);
      const idle1 = await read(pg, redis, server!);
      const result = perMessage([run1, idle1], [idle0, run1], MESSAGES);
      print(`${title} (${MESSAGES} sent in ${sendSeconds.toFixed(1)} s, ${failed} failed)`, result, (counter.n - before) / MESSAGES);
      console.log(
        `  service CPU during the sends: ${duringSendsMs.toFixed(2)} ms per message (idle rate ${(idleRate * 1000).toFixed(1)} ms/s subtracted; ${deliveredDuringSends.toFixed(1)} deliveries per message had arrived by then)`,
      );
      return { ...result, duringSendsMs };
    };

    const none = { n: 0 };
    await phase('recipients offline: no socket (the push path)', none);

    const online = { n: 0 };
    for (const [p, conversation] of conversations.entries()) {
      for (const u of [users[2 * p], users[2 * p + 1]]) {
        sockets.push(await subscribe(server.url, u.token, INBOX, {}, online));
        sockets.push(await subscribe(server.url, u.token, THREAD, { id: conversation }, online));
      }
    }
    await sleep(1000);
    const base = await phase('both participants online: 4 sockets per conversation (inbox + thread each)', online);

    for (const [p, conversation] of conversations.entries()) {
      for (let k = 0; k < FANOUT; k += 1) sockets.push(await subscribe(server.url, users[2 * p + (k % 2)].token, THREAD, { id: conversation }, online));
    }
    await sleep(1000);
    const fanned = await phase(`fan-out: ${4 + FANOUT} sockets per conversation`, online);
    console.log(`\nCPU per delivery (service): ${((fanned.serviceCpuMs - base.serviceCpuMs) / FANOUT).toFixed(3)} ms (${FANOUT} more deliveries per message)`);
    console.log(`CPU per delivery (service, during the sends): ${((fanned.duringSendsMs - base.duringSendsMs) / FANOUT).toFixed(3)} ms`);
    console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    for (const s of sockets) s.close();
    await server?.stop();
    await redis.kill();
    await pg.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
