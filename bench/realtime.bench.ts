/**
 * npm run bench:realtime — live message fan-out through graphql-ws, two instances, Redis.
 *
 * Per level (100, 1,000 and 5,000 subscribed sockets), two fresh server processes (src/main.ts,
 * production mode, as bench/lib.ts starts it) share a scratch PostgreSQL database and Redis.
 * Users come in pairs, one conversation per pair (rows inserted with SQL: thousands of users over
 * HTTP would take minutes and measure nothing of interest), the two users on different
 * instances. Every user has one socket with the inbox subscription (`messageReceived` without
 * conversationId, the chat-list form). Senders post `sendMessage` over HTTP at a fixed rate (open
 * loop: on schedule whatever the answers take), alternately to both instances, with a
 * clientMessageId. Each message reaches both participants' inboxes (the sender's too: their
 * other devices), so one message is two deliveries.
 *
 * Printed per level: deliveries/s; end-to-end latency (HTTP request start to arrival at the
 * socket) p50/p99; lost, duplicate, unexpected and wrong-id deliveries (every expected (user,
 * message) pair is checked against the receipts, after a 5 s drain); sendMessage HTTP latency
 * and the servers' own histograms (commit to socket write, operation, SQL) for where the time
 * goes; server RSS per idle subscribed socket (VmRSS of both servers before connecting and once
 * all are subscribed and idle, each time after a full GC done through the inspector, divided by
 * the sockets); CPU while sending of the servers, PostgreSQL, Redis, this process and anything
 * else (the whole stack shares this machine: read "other processes" before trusting a number).
 * Then the same fan-out with raw `ws` + ioredis (bench/realtime-reference-server.ts, two
 * processes; this process PUBLISHes frames of the same size to per-user channels at the same
 * rate; no database, no GraphQL, no authentication), and the ratios.
 *
 * Settings: DATABASE_URL (server to create the scratch database on), REDIS_URL, BENCH_SECONDS
 * (sending per phase, default 10), BENCH_RATE (messages/s, default 200), BENCH_SOCKETS (levels,
 * default 100,1000,5000), BENCH_CLIENT (thin | graphql-ws: see bench/realtime-clients.ts),
 * BENCH_SELECTION (full, the default: the fields of docs/realtime.md's example, sender { id
 * displayName } included, as an app selects them; minimal: id clientMessageId), BENCH_PORT (the
 * servers use it and +1, the reference +10 and +11, inspectors +20 on each), BENCH_SERVER_NODE_ARGS
 * (node flags of the servers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), BENCH_LOG_LEVEL
 * (servers', default warn). The npm script raises the open-files limit to its hard limit.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { signDevToken } from '../src/auth/token-issuer';
import { BENCH_SECRET, ROOT, graphql, percentile, recreateDatabase } from './lib';
import { collectGarbage } from './inspector-gc';
import { openGraphqlSubscriber, openRawSubscriber, type ClientKind, type Subscriber, type SubscriberEvents } from './realtime-clients';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const LEVELS = (process.env.BENCH_SOCKETS ?? '100,1000,5000').split(',').map(Number);
const CLIENT: ClientKind = process.env.BENCH_CLIENT === 'graphql-ws' ? 'graphql-ws' : 'thin';
const SELECTION =
  process.env.BENCH_SELECTION === 'minimal'
    ? 'id clientMessageId'
    : 'id clientMessageId conversationId sequence content createdAt sender { id displayName }';
const PG_SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORT = Number(process.env.BENCH_PORT ?? 4821);
/** Extra node flags of the two servers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const DB_NAME = 'messaging_bench_realtime';
const CONNECT_CONCURRENCY = 100;
/** After the last send answered: how long missing deliveries may still arrive before they count as lost. */
const DRAIN_MS = 5000;
/** Idle time once every subscription is live, before memory is read. */
const IDLE_MS = 3000;
const CONTENT = 'Hello, is the job still open? I can start on Monday.';
const INBOX = `subscription Inbox { messageReceived { ${SELECTION} } }`;
const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id sequence } }`;

const RUN = randomUUID().slice(0, 8);
const REDIS_PREFIX = `bench-rt:${RUN}:`;
const children = new Set<ChildProcess>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Processes: every child is killed however the bench ends.

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** VmRSS of a process in bytes. */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line!.split(/\s+/)[1]) * 1024;
}

/** VmRSS of each process after a full GC in each (their inspector ports are `ports`). */
async function rssAfterGc(pids: number[], ports: number[]): Promise<number[]> {
  await Promise.all(ports.map(collectGarbage));
  await sleep(500);
  return pids.map(rss);
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
}

/** CPU seconds so far of each process whose command name is one of `names` (e.g. all PostgreSQL backends), by pid. */
function cpuSecondsOf(names: string[]): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) byPid.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      // The process ended meanwhile.
    }
  }
  return byPid;
}

/** CPU used between two {@link cpuSecondsOf} samples by the processes alive at the second (those that ended are missed). */
function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Busy and total CPU seconds of the whole machine so far (all cores). */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0) / 100;
  const idle = (fields[3] + fields[4]) / 100;
  return { busy: total - idle, total };
}

/** Starts sampling the CPU of the servers, PostgreSQL, Redis, this process and the machine; the returned function, given the messages sent, describes the use since. */
function cpuMeter(pids: number[]) {
  const read = () => ({
    servers: pids.map(cpuSeconds),
    postgres: cpuSecondsOf(['postgres']),
    redis: cpuSecondsOf(['redis-server']),
    bench: process.cpuUsage(),
    machine: machineCpu(),
    at: performance.now(),
  });
  const before = read();
  return (messages: number) => {
    const after = read();
    const seconds = (after.at - before.at) / 1000;
    const share = (x: number) => `${((x / seconds) * 100).toFixed(0)}%`;
    const bench = process.cpuUsage(before.bench);
    const serverSeconds = pids.map((_, i) => after.servers[i] - before.servers[i]);
    const servers = serverSeconds.map(share).join(' + ');
    const perMessage = ((serverSeconds[0] + serverSeconds[1]) * 1000) / messages;
    const machineBusy = (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total);
    const postgres = cpuDelta(before.postgres, after.postgres);
    const redis = cpuDelta(before.redis, after.redis);
    const ours = serverSeconds[0] + serverSeconds[1] + postgres + redis + (bench.user + bench.system) / 1e6;
    const others = Math.max(0, (after.machine.busy - before.machine.busy) - ours);
    return (
      `CPU while sending (100% = one core): servers ${servers}, PostgreSQL ${share(postgres)} (all databases), Redis ${share(redis)},` +
      ` bench ${share((bench.user + bench.system) / 1e6)}, other processes ${share(others)}; machine ${(machineBusy * 100).toFixed(0)}% busy of ${os.cpus().length} cores;` +
      ` servers ${perMessage.toFixed(2)} ms CPU per message`
    );
  };
}

function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line!.split(/\s+/)[3]);
  } catch {
    return Infinity;
  }
}

/**
 * Starts a node process (the service as bench/lib.ts's startServerProcess does, or the
 * reference) with its inspector on `port + 20` for {@link collectGarbage}, and waits until
 * `readyPath` answers. The inspector's banner is dropped from stderr; the rest passes through.
 */
async function startNode(script: string, port: number, readyPath: string, env: Record<string, string>, nodeArgs: string[] = []) {
  const child = track(
    spawn(process.execPath, [`--inspect=127.0.0.1:${port + 20}`, ...nodeArgs, '-r', 'ts-node/register/transpile-only', script], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), ...env },
      stdio: ['ignore', 'inherit', 'pipe'],
    }),
  );
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk
      .toString('utf8')
      .split('\n')
      .filter((line) => !/^(Debugger listening on|For help, see:|Debugger attached|Debugger ending on|Waiting for the debugger)/.test(line))
      .join('\n');
    if (text.trim()) process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    if (await fetch(`${url}${readyPath}`).then((r) => r.ok, () => false)) break;
    if (i > 600) throw new Error(`${script} did not become ready`);
    await sleep(100);
  }
  return { url, child };
}

async function startReferenceServer(port: number): Promise<{ url: string; child: ChildProcess }> {
  const { url, child } = await startNode('bench/realtime-reference-server.ts', port, '/', { REDIS_URL, REF_PREFIX: `${REDIS_PREFIX}ref:` });
  return { url: url.replace(/^http/, 'ws'), child };
}

// ---------------------------------------------------------------------------------------------
// Load: an open loop at a fixed rate, and the bookkeeping of every expected delivery.

/** Calls `fire(i)` for i < count at `rate` per second, on schedule whatever the answers take. */
async function openLoop(count: number, rate: number, fire: (i: number) => void): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (i < due) fire(i++);
    await sleep(Math.max(0, start + (i * 1000) / rate - performance.now()));
  }
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await fn(items[index], index);
      }
    }),
  );
}

interface Sent {
  t0: number;
  /** The two users who must receive it (indexes). */
  users: [number, number];
  sender: number;
  got: [number, number];
  id?: string;
  receivedIds: string[];
  failed?: string;
}

/** Every message sent in a phase and every delivery that arrived, checked one by one. */
class Deliveries {
  readonly sent: Sent[] = [];
  readonly latencies: number[] = [];
  /** Latencies of deliveries to the other participant only (not the sender's own inbox). */
  readonly recipientLatencies: number[] = [];
  duplicates = 0;
  unexpected = 0;
  misrouted = 0;
  delivered = 0;
  firstSendAt = Infinity;
  lastArrivalAt = 0;
  readonly errors: string[] = [];
  readonly closes: string[] = [];

  constructor(private readonly tag: string) {}

  clientMessageId(i: number): string {
    return `${this.tag}-${i}`;
  }

  expect(i: number, users: [number, number], sender: number): Sent {
    const record: Sent = { t0: performance.now(), users, sender, got: [0, 0], receivedIds: [] };
    this.firstSendAt = Math.min(this.firstSendAt, record.t0);
    this.sent[i] = record;
    return record;
  }

  events(user: number): SubscriberEvents {
    return {
      onData: (data, arrivedAt) => this.receive(user, data, arrivedAt),
      onError: (message) => this.errors.push(`user ${user}: ${message}`),
      onClose: (code, reason) => this.closes.push(`user ${user}: ${code} ${reason}`),
    };
  }

  receive(user: number, data: unknown, arrivedAt: number): void {
    const message = (data as { messageReceived?: { id: string; clientMessageId: string | null } }).messageReceived;
    const key = message?.clientMessageId ?? '';
    const record = key.startsWith(`${this.tag}-`) ? this.sent[Number(key.slice(this.tag.length + 1))] : undefined;
    if (!message || !record) {
      this.unexpected += 1;
      return;
    }
    if (record.users[0] !== user && record.users[1] !== user) {
      this.misrouted += 1;
      return;
    }
    const side = record.users[0] === user ? 0 : 1;
    record.got[side] += 1;
    record.receivedIds.push(message.id);
    if (record.got[side] > 1) {
      this.duplicates += 1;
      return;
    }
    this.delivered += 1;
    this.lastArrivalAt = Math.max(this.lastArrivalAt, arrivedAt);
    const latency = arrivedAt - record.t0;
    this.latencies.push(latency);
    if (record.users[side] !== record.sender) this.recipientLatencies.push(latency);
  }

  get expected(): number {
    return this.sent.filter((s) => s && !s.failed).length * 2;
  }

  get sendErrors(): number {
    return this.sent.filter((s) => s?.failed).length;
  }

  get lost(): number {
    let lost = 0;
    for (const s of this.sent) if (s && !s.failed) lost += (s.got[0] === 0 ? 1 : 0) + (s.got[1] === 0 ? 1 : 0);
    return lost;
  }

  /** Deliveries whose message id differs from the id sendMessage answered. */
  get wrongIds(): number {
    return this.sent.filter((s) => s?.id && s.receivedIds.some((id) => id !== s.id)).length;
  }

  async drain(): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (this.lost > 0 && Date.now() < deadline) await sleep(20);
  }

  summary() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const recipient = [...this.recipientLatencies].sort((a, b) => a - b);
    const seconds = (this.lastArrivalAt - this.firstSendAt) / 1000;
    return {
      perSecond: this.delivered / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? NaN,
      recipientP50: percentile(recipient, 50),
      recipientP99: percentile(recipient, 99),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Metrics of the servers.

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

function metricSum(text: string, name: string, label = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(label)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** The servers' V8 heap in use, summed (prom-client's default metrics). */
async function heapUsed(urls: string[]): Promise<number> {
  const texts = await Promise.all(urls.map(metricsText));
  return texts.reduce((sum, t) => sum + metricSum(t, 'nodejs_heap_size_used_bytes'), 0);
}

/** p50 and p99 of the servers' commit-to-socket-write histogram, as bucket upper bounds in ms. */
function histogramQuantiles(texts: string[], name: string, label = ''): { p50: string; p99: string; count: number } {
  const buckets = new Map<string, number>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`) || !line.includes(label)) continue;
      const match = line.match(/le="([^"]+)"[^}]*\} (\S+)$/);
      if (match) buckets.set(match[1], (buckets.get(match[1]) ?? 0) + Number(match[2]));
    }
  }
  const count = buckets.get('+Inf') ?? 0;
  const bound = (q: number) => {
    for (const [le, cumulative] of buckets) if (cumulative >= q * count) return le === '+Inf' ? '> 2500' : `<= ${Number(le) * 1000}`;
    return 'n/a';
  };
  return { p50: bound(0.5), p99: bound(0.99), count };
}

// ---------------------------------------------------------------------------------------------
// One level.

interface PhaseResult {
  perSecond: number;
  p50: number;
  p99: number;
  lost: number;
  duplicates: number;
  rssPerSocket: number;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

function printPhase(name: string, d: Deliveries, extra: string[]): ReturnType<Deliveries['summary']> {
  const s = d.summary();
  const sent = d.sent.filter(Boolean).length;
  console.log(`  ${name}`);
  console.log(
    `    sent ${sent} (${d.sendErrors} failed)  delivered ${d.delivered}/${d.expected}  lost ${d.lost}  duplicates ${d.duplicates}` +
      `  unexpected ${d.unexpected + d.misrouted}  wrong ids ${d.wrongIds}  socket closes ${d.closes.length}  errors ${d.errors.length}`,
  );
  console.log(`    ${s.perSecond.toFixed(0)} deliveries/s (${(s.perSecond / 2).toFixed(0)} messages/s to both participants)`);
  console.log(
    `    end-to-end latency p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}   (to the other participant: p50 ${ms(s.recipientP50)}  p99 ${ms(s.recipientP99)})`,
  );
  for (const line of extra) console.log(`    ${line}`);
  for (const line of [...d.errors.slice(0, 3), ...d.closes.slice(0, 3)]) console.log(`    ! ${line}`);
  for (const s2 of d.sent.filter((s2) => s2?.failed).slice(0, 3)) console.log(`    ! send failed: ${s2.failed}`);
  return s;
}

interface Cleanup {
  users: string[];
  claims: string[];
}

async function runLevel(sockets: number, databaseUrl: string, dataDir: string, migrate: boolean, cleanup: Cleanup) {
  const pairs = Math.floor(sockets / 2);
  const n = pairs * 2;
  const total = Math.round(RATE * SECONDS);
  console.log(`\n== ${n} subscribed sockets: ${pairs} conversations, ${n / 2} sockets per instance; ${RATE} messages/s for ${SECONDS} s`);
  const subscribers: Subscriber[] = [];
  const closeSubscribers = () => {
    for (const s of subscribers.splice(0)) s.close();
  };
  const result: { graphql?: PhaseResult; raw?: PhaseResult } = {};

  // --- graphql-ws on two instances ---------------------------------------------------------
  const env = {
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    JWT_SECRET: BENCH_SECRET,
    REDIS_URL,
    REDIS_PREFIX,
    RATE_LIMIT_MESSAGES_PER_HOUR: '100000000',
  };
  const t0 = performance.now();
  // The first start of the run migrates the scratch database; the second instance waits for it.
  const servers: { url: string; child: ChildProcess }[] = [];
  // As bench/lib.ts's startServerProcess: production mode, as deployed.
  const start = (port: number, migrateHere: boolean) =>
    startNode('src/main.ts', port, '/readyz', { ...env, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', NODE_ENV: 'production', MIGRATE_ON_START: String(migrateHere) }, SERVER_NODE_ARGS);
  if (migrate) servers.push(await start(PORT, true), await start(PORT + 1, false));
  else servers.push(...(await Promise.all([start(PORT, false), start(PORT + 1, false)])));
  try {
    const startSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const users = Array.from({ length: n }, (_, i) => ({ id: randomUUID(), index: i, token: '' }));
    cleanup.users.push(...users.map((u) => u.id));
    for (const u of users) u.token = await signDevToken(BENCH_SECRET, { sub: u.id, name: `Bench user ${u.index}`, ttl: '2h' });
    // User 2k lives on instance A, 2k+1 on instance B; their conversation crosses instances.
    const home = (user: number) => servers[user % 2];
    // The rows startConversation would make (less its audit row), in two statements: thousands
    // of users over HTTP would take minutes on a small machine and measure nothing of interest.
    const conversations = Array.from({ length: pairs }, () => randomUUID());
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query(`insert into users (id, display_name) select * from unnest($1::uuid[], $2::text[])`, [
        users.map((u) => u.id),
        users.map((u) => `Bench user ${u.index}`),
      ]);
      const ordered = conversations.map((_, p) => [users[2 * p].id, users[2 * p + 1].id].sort());
      await db.query(
        `insert into conversations (id, participant_a_id, participant_b_id) select * from unnest($1::uuid[], $2::uuid[], $3::uuid[])`,
        [conversations, ordered.map((o) => o[0]), ordered.map((o) => o[1])],
      );
    } finally {
      await db.end();
    }
    // A few sends over HTTP warm both instances up (JIT, pools, caches) before anything is measured.
    await mapLimit(
      Array.from({ length: Math.min(pairs, 50) }, (_, p) => p),
      8,
      async (p) => {
        const out = await graphql(home(p).url, users[2 * p].token, SEND, { input: { conversationId: conversations[p], content: 'warm-up' } });
        if (out.errors) throw new Error(`warm-up sendMessage failed: ${JSON.stringify(out.errors)}`);
      },
    );
    const setupSeconds = (performance.now() - t1) / 1000;

    await sleep(1000);
    const pids = servers.map((s) => s.child.pid!);
    const rssBefore = await rssAfterGc(pids, [PORT + 20, PORT + 21]);
    const heapBefore = await heapUsed(servers.map((s) => s.url));
    const d = new Deliveries(`${RUN}-${n}`);
    const c0 = performance.now();
    await mapLimit(users, CONNECT_CONCURRENCY, async (u) => {
      const wsUrl = `${home(u.index).url.replace(/^http/, 'ws')}/graphql`;
      const subscriber = openGraphqlSubscriber(CLIENT, wsUrl, u.token, INBOX, {}, d.events(u.index));
      subscribers.push(subscriber);
      await subscriber.connected;
    });
    // The protocol has no per-subscription acknowledgement: the servers' gauge tells when all are live.
    for (let i = 0; ; i += 1) {
      const texts = await Promise.all(servers.map((s) => metricsText(s.url)));
      const active = texts.reduce((sum, t) => sum + metricSum(t, 'ws_active_subscriptions', 'kind="messageReceived"'), 0);
      if (active >= n) break;
      if (i > 600) throw new Error(`only ${active} of ${n} subscriptions became active`);
      await sleep(100);
    }
    const connectSeconds = (performance.now() - c0) / 1000;
    await sleep(IDLE_MS);
    const rssAfter = await rssAfterGc(pids, [PORT + 20, PORT + 21]);
    const heapAfter = await heapUsed(servers.map((s) => s.url));
    const rssPerSocket = (rssAfter[0] + rssAfter[1] - rssBefore[0] - rssBefore[1]) / n;

    const textsBefore = await Promise.all(servers.map((s) => metricsText(s.url)));
    const cpu = cpuMeter(pids);
    const httpLatencies: number[] = [];
    let retries = 0;
    const inFlight: Promise<void>[] = [];
    await openLoop(total, RATE, (i) => {
      const p = i % pairs;
      const side = Math.floor(i / pairs) % 2;
      const sender = 2 * p + side;
      const record = d.expect(i, [2 * p, 2 * p + 1], sender);
      const server = servers[i % 2];
      // A keep-alive connection the server closed as idle just as it was reused fails with
      // ECONNRESET before the request reached it; the clientMessageId makes the retry safe.
      const send = () =>
        graphql(server.url, users[sender].token, SEND, {
          input: { conversationId: conversations[p], content: CONTENT, clientMessageId: d.clientMessageId(i) },
        });
      inFlight.push(
        send()
          .catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ECONNRESET') throw error;
            retries += 1;
            return send();
          })
          .then(
          (out) => {
            httpLatencies.push(performance.now() - record.t0);
            if (out.errors) record.failed = JSON.stringify(out.errors);
            else record.id = (out.data!.sendMessage as { id: string }).id;
          },
          (error: Error) => {
            record.failed = error.message;
          },
        ),
      );
      cleanup.claims.push(`${users[sender].id}:${conversations[p]}:${d.clientMessageId(i)}`);
    });
    await Promise.all(inFlight);
    await d.drain();
    const cpuLine = cpu(total);
    const texts = await Promise.all(servers.map((s) => metricsText(s.url)));
    const serverSide = histogramQuantiles(texts, 'message_delivery_latency_seconds');
    const queries = histogramQuantiles(texts, 'db_query_duration_seconds');
    const sendOps = histogramQuantiles(texts, 'graphql_operation_duration_seconds', 'operation="Send"');
    const queriesBefore = textsBefore.reduce((sum, t) => sum + metricSum(t, 'db_query_duration_seconds_count'), 0);
    const slow = texts.reduce((sum, t) => sum + metricSum(t, 'ws_slow_consumer_disconnects_total'), 0);
    httpLatencies.sort((a, b) => a - b);

    console.log(
      `  2 servers started in ${startSeconds.toFixed(1)} s; ${n} users + ${pairs} conversations (SQL) + warm-up ${setupSeconds.toFixed(1)} s; connect + subscribe ${connectSeconds.toFixed(1)} s`,
    );
    const s = printPhase(`graphql-ws (${CLIENT} client), 2 instances`, d, [
      `sendMessage HTTP p50 ${ms(percentile(httpLatencies, 50))}  p99 ${ms(percentile(httpLatencies, 99))} (${retries} retried after ECONNRESET);  server commit->socket write p50 ${serverSide.p50} ms  p99 ${serverSide.p99} ms (${serverSide.count} observed); slow-consumer closes ${slow}`,
      `server sendMessage p50 ${sendOps.p50} ms  p99 ${sendOps.p99} ms;  SQL queries ${((queries.count - queriesBefore) / total).toFixed(1)} per message, p50 ${queries.p50} ms  p99 ${queries.p99} ms (whole server life)`,
      `RSS per idle subscribed socket (after a full GC) ${kib(rssPerSocket)}  (A ${mib(rssBefore[0])} -> ${mib(rssAfter[0])}, B ${mib(rssBefore[1])} -> ${mib(rssAfter[1])}); V8 heap used ${kib((heapAfter - heapBefore) / n)} per socket`,
      cpuLine,
    ]);
    result.graphql = { perSecond: s.perSecond, p50: s.p50, p99: s.p99, lost: d.lost, duplicates: d.duplicates, rssPerSocket };
  } finally {
    closeSubscribers();
    await Promise.all(servers.map((s) => stopChild(s.child)));
  }

  // --- the raw reference: ws + ioredis -------------------------------------------------------
  const refs: { url: string; child: ChildProcess }[] = [];
  const publisher = new Redis(REDIS_URL, { connectionName: 'bench-ref:publisher' });
  try {
    refs.push(await startReferenceServer(PORT + 10), await startReferenceServer(PORT + 11));
    const users = Array.from({ length: n }, () => randomUUID());
    await sleep(1000);
    const pids = refs.map((r) => r.child.pid!);
    const rssBefore = await rssAfterGc(pids, [PORT + 30, PORT + 31]);
    const d = new Deliveries(`${RUN}-${n}-ref`);
    await mapLimit(users, CONNECT_CONCURRENCY, async (user, index) => {
      const subscriber = openRawSubscriber(refs[index % 2].url, user, d.events(index));
      subscribers.push(subscriber);
      await subscriber.connected;
    });
    await sleep(IDLE_MS);
    const rssAfter = await rssAfterGc(pids, [PORT + 30, PORT + 31]);
    const rssPerSocket = (rssAfter[0] + rssAfter[1] - rssBefore[0] - rssBefore[1]) / n;
    const cpu = cpuMeter(pids);
    const channel = (user: number) => `${REDIS_PREFIX}ref:user:${users[user]}`;
    const inFlight: Promise<unknown>[] = [];
    await openLoop(total, RATE, (i) => {
      const p = i % pairs;
      const sender = 2 * p + (Math.floor(i / pairs) % 2);
      const record = d.expect(i, [2 * p, 2 * p + 1], sender);
      record.id = randomUUID();
      // The frame the GraphQL server writes for the full selection, built the same size.
      const frame = JSON.stringify({
        id: '1',
        type: 'next',
        payload: {
          data: {
            messageReceived: {
              id: record.id,
              clientMessageId: d.clientMessageId(i),
              conversationId: randomUUID(),
              sequence: i + 1,
              content: CONTENT,
              createdAt: new Date().toISOString(),
              sender: { id: users[sender], displayName: `Bench user ${sender}` },
            },
          },
        },
      });
      for (const user of record.users) {
        inFlight.push(
          publisher.publish(channel(user), frame).catch((error: Error) => {
            record.failed = error.message;
          }),
        );
      }
    });
    await Promise.all(inFlight);
    await d.drain();
    const cpuLine = cpu(total);
    const s = printPhase('raw ws + ioredis reference, 2 processes', d, [
      `RSS per idle subscribed socket (after a full GC) ${kib(rssPerSocket)}  (A ${mib(rssBefore[0])} -> ${mib(rssAfter[0])}, B ${mib(rssBefore[1])} -> ${mib(rssAfter[1])})`,
      cpuLine,
    ]);
    result.raw = { perSecond: s.perSecond, p50: s.p50, p99: s.p99, lost: d.lost, duplicates: d.duplicates, rssPerSocket };
  } finally {
    closeSubscribers();
    publisher.disconnect();
    await Promise.all(refs.map((r) => stopChild(r.child)));
  }
  const g = result.graphql!;
  const r = result.raw!;
  console.log(
    `  graphql-ws vs raw: delivered/s ${((g.perSecond / r.perSecond) * 100).toFixed(0)}%,  p99 ${(g.p99 / r.p99).toFixed(1)}x (${ms(g.p99)} vs ${ms(r.p99)}),  RSS/socket ${(g.rssPerSocket / r.rssPerSocket).toFixed(1)}x`,
  );
  return { sockets: n, graphql: g, raw: r };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const needed = Math.max(...LEVELS) + 1000;
  const limit = openFilesLimit();
  if (limit < needed) {
    throw new Error(`open files limit is ${limit}, the bench needs about ${needed}: run it through npm run bench:realtime (raises it) or \`ulimit -n ${needed}\``);
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-realtime-'));
  const cleanup: Cleanup = { users: [], claims: [] };
  let databaseUrl: string | undefined;
  let interrupted = false;
  const finish = async () => {
    await Promise.all([...children].map((child) => stopChild(child)));
    if (databaseUrl) {
      const admin = new Client({ connectionString: PG_SERVER });
      await admin.connect();
      await admin.query(`drop database if exists "${DB_NAME}" with (force)`);
      await admin.end();
    }
    // Rate-limit keys are not under REDIS_PREFIX: delete exactly those this run made.
    const redis = new Redis(REDIS_URL);
    const keys = [...cleanup.users.map((id) => `rl:messages:${id}`), ...cleanup.claims.map((c) => `rl:messages:claim:${c}`)];
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      void finish().finally(() => process.exit(130));
    });
  }

  const started = performance.now();
  console.log(`realtime fan-out bench: ${CLIENT} clients, selection "${SELECTION}", ${RATE} messages/s, ${SECONDS} s per phase`);
  // Servers, PostgreSQL, Redis and clients share this machine: anything else running skews every number.
  const idle0 = machineCpu();
  await sleep(2000);
  const idle1 = machineCpu();
  const busy = (idle1.busy - idle0.busy) / (idle1.total - idle0.total);
  console.log(`machine: ${os.cpus().length} cores, ${(busy * 100).toFixed(0)}% busy before the bench started${busy > 0.15 ? ' (other work is running: expect skewed numbers)' : ''}`);
  const results: Awaited<ReturnType<typeof runLevel>>[] = [];
  try {
    databaseUrl = await recreateDatabase(PG_SERVER, DB_NAME);
    for (const [index, sockets] of LEVELS.entries()) results.push(await runLevel(sockets, databaseUrl, dataDir, index === 0, cleanup));
  } finally {
    if (!interrupted) await finish();
  }

  console.log(`\nsummary (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  console.log('  sockets   graphql-ws deliv/s  p50 ms  p99 ms  lost dup  KiB/socket | raw deliv/s  p50 ms  p99 ms  lost dup  KiB/socket');
  for (const { sockets, graphql: g, raw: r } of results) {
    const row = (x: PhaseResult) =>
      `${x.perSecond.toFixed(0).padStart(8)}  ${x.p50.toFixed(1).padStart(6)}  ${x.p99.toFixed(1).padStart(6)}  ${String(x.lost).padStart(4)} ${String(x.duplicates).padStart(3)}  ${(x.rssPerSocket / 1024).toFixed(1).padStart(10)}`;
    console.log(`  ${String(sockets).padStart(7)}   ${row(g)}          | ${row(r)}`);
  }
  const at1000 = results.find((r) => r.sockets === 1000)?.graphql;
  const worstRss = Math.max(...results.filter((r) => r.sockets >= 1000).map((r) => r.graphql.rssPerSocket));
  const nothingLost = results.every((r) => r.graphql.lost === 0 && r.graphql.duplicates === 0 && r.raw.lost === 0 && r.raw.duplicates === 0);
  console.log(
    `\naim: p99 < 50 ms at 1,000 sockets and 200 messages/s (${at1000 ? ms(at1000.p99) : 'not run'}); < 48 KiB per idle subscribed socket` +
      ` (worst at >= 1,000 sockets: ${kib(worstRss)}); nothing lost or duplicated (${nothingLost ? 'yes' : 'NO'})`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
