/**
 * npm run bench:api — the API figures of issue 8, side by side in one run. The server runs in
 * its own process in production mode (bench/lib.ts); the load generator, the server and
 * PostgreSQL share this machine's cores.
 *
 * 1. sendMessage over HTTP from 1, 8 and 32 concurrent senders (closed loop, one conversation
 *    per sender, a fresh clientMessageId on every send as real clients do), beside two raw
 *    `pg` references at the same concurrency through a Pool of 10 (the server's pool size):
 *    - `select * from send_message(...)` with bind parameters: the one statement the service
 *      runs per send, so http/raw is the cost of HTTP, GraphQL and the service around it;
 *    - the reference before send_message(): conversation update + insert, 2 statements in a
 *      transaction (no outbox row, no idempotency key).
 * 2. `{ me { id } }` from 50 concurrent requests with one token.
 * 3. The conversation list of a user with 50 conversations, 8 concurrent.
 * 4. searchMessages over BENCH_SEARCH_MESSAGES (1 million) messages, 8 concurrent: the searcher
 *    is in 1 of every 20 conversations, queries mix two words with a prefix last word.
 *
 * Every HTTP phase prints requests/s, p50/p99 and the server's CPU per request: utime + stime
 * of the server process (/proc/<pid>/stat) over the phase, divided by its requests.
 * Aims: >= 0.5x raw and p99 <= 50 ms at 8 senders; <= 0.5 ms server CPU per { me { id } }.
 *
 * Settings (environment):
 *   DATABASE_URL          PostgreSQL server; the scratch database messaging_bench is recreated on it
 *   BENCH_SECONDS         seconds per measured phase (8)
 *   BENCH_WARMUP_SECONDS  unmeasured load before each kind of HTTP request (1)
 *   BENCH_PORT            the server's port (4811)
 *   BENCH_SERVER_NODE_ARGS node flags of the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
 *   BENCH_FROM_SOURCE     true: run the server from src/ under ts-node instead of the build
 *   BENCH_SEARCH_MESSAGES messages seeded for the search phase (1000000; 0 skips it)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Pool } from 'pg';
import { signDevToken } from '../src/auth/token-issuer';
import { BENCH_SECRET, deleteRedisKeys, graphql, processCpuSeconds, recreateDatabase, startServerProcess, timedLoad, type LoadResult, type ServerProcess, BENCH_NO_ABUSE_LIMITS } from './lib';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const PORT = Number(process.env.BENCH_PORT ?? 4811);
const LEVELS = [1, 8, 32];
const CONTENT = 'Hello, is the job still open?';

const ME = '{ me { id } }';
/** The server's keys in a shared Redis (REDIS_URL, when set) carry this run's prefix and are deleted at the end. */
const REDIS_PREFIX = `bench-api:${randomUUID()}:`;
const START = 'mutation($p: ID!) { startConversation(input: { participantId: $p }) { id } }';
const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id sequence createdAt } }`;
const LIST = `query List { conversations(first: 50) { totalCount edges { cursor node { id unreadCount lastMessage { content sender { displayName } }
  participants { id displayName presence { status } } } } } }`;

/** The service's statement (src/services/message-store.ts), run as a named prepared statement as the service does. */
const SEND_MESSAGE_SQL = {
  name: 'send_message',
  text: 'select * from send_message($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9, $10, $11::text[])',
};
// Longer than the run: the idle server's outbox relay would otherwise publish the reference's
// rows (their lease run out) while the reference is measured. The SQL work is the same.
const RAW_OUTBOX_LEASE_MS = 3_600_000;

interface Sender {
  userId: string;
  token: string;
  conversationId: string;
}

/** A phase's load and, for HTTP phases, what it cost the server process. */
interface Measured {
  load: LoadResult;
  cpuMsPerOp?: number;
  /** Server CPU seconds per wall second (1 = one core busy). */
  cores?: number;
}

type Task = (worker: number) => Promise<boolean>;

// ---- output ----

const COLUMNS = `${''.padEnd(30)}${'ops/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}   server CPU`;

function row(label: string, m: Measured): string {
  const { load } = m;
  const cpu = m.cpuMsPerOp === undefined ? '-' : `${m.cpuMsPerOp.toFixed(2)} ms/op (${(m.cores! * 100).toFixed(0)}% of a core)`;
  return `  ${label.padEnd(28)}${load.perSecond.toFixed(0).padStart(8)}${load.p50.toFixed(1).padStart(9)}${load.p99.toFixed(1).padStart(9)}${String(load.errors).padStart(8)}   ${cpu}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

// ---- measuring ----

/** Runs `task` for BENCH_SECONDS and reads the server process's CPU time around it. */
async function measureHttp(server: ServerProcess, concurrency: number, task: Task): Promise<Measured> {
  const before = processCpuSeconds(server.pid);
  const load = await timedLoad(concurrency, SECONDS, task);
  const cpu = processCpuSeconds(server.pid) - before;
  return { load, cpuMsPerOp: (cpu * 1000) / load.count, cores: cpu / load.seconds };
}

const warmUp = (concurrency: number, task: Task) => (WARMUP_SECONDS > 0 ? timedLoad(concurrency, WARMUP_SECONDS, task) : undefined);

// ---- setup over the API ----

async function newUser(url: string, name: string): Promise<{ userId: string; token: string }> {
  const userId = randomUUID();
  const token = await signDevToken(BENCH_SECRET, { sub: userId, name, ttl: '2h' });
  await graphql(url, token, ME); // the user becomes known
  return { userId, token };
}

async function startConversation(url: string, token: string, participantId: string): Promise<string> {
  const started = await graphql(url, token, START, { p: participantId });
  return (started.data!.startConversation as { id: string }).id;
}

/** 32 pairs, one conversation each: senders do not queue on one conversation's row lock. */
function createSenders(url: string): Promise<Sender[]> {
  return Promise.all(
    Array.from({ length: Math.max(...LEVELS) }, async () => {
      const sender = await newUser(url, 'Sender');
      const recipient = await newUser(url, 'Recipient');
      return { ...sender, conversationId: await startConversation(url, sender.token, recipient.userId) };
    }),
  );
}

/** A reader with 50 conversations, each with one message from the other side; answers the reader's token. */
async function createReader(url: string): Promise<string> {
  const reader = await newUser(url, 'Reader');
  for (let i = 0; i < 50; i += 1) {
    const other = await newUser(url, `Other ${i}`);
    const conversationId = await startConversation(url, reader.token, other.userId);
    await sendOverHttp(url, { ...other, conversationId }, `message ${i}`);
  }
  return reader.token;
}

// ---- the operations ----

async function sendOverHttp(url: string, s: Sender, content = CONTENT): Promise<boolean> {
  const out = await graphql(url, s.token, SEND, { input: { conversationId: s.conversationId, content, clientMessageId: randomUUID() } });
  return !out.errors;
}

/** What the service's MessageStore.append sends for a text message. */
async function sendMessageRaw(pool: Pool, s: Sender): Promise<boolean> {
  const values = [randomUUID(), s.conversationId, s.userId, 'TEXT', CONTENT, '{}', randomUUID(), null, RAW_OUTBOX_LEASE_MS, null, []];
  const { rows } = await pool.query({ ...SEND_MESSAGE_SQL, values });
  return rows[0]?.outcome === 'CREATED';
}

/** The reference before send_message(): the conversation row lock + insert, in one transaction. */
async function twoStatementRaw(pool: Pool, s: Sender): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query(
      `update conversations set last_sequence = last_sequence + 1, last_message_at = clock_timestamp(), updated_at = now()
       where id = $1 returning last_sequence, last_message_at`,
      [s.conversationId],
    );
    await client.query(
      `insert into messages (id, conversation_id, sequence, type, sender_id, content, metadata, created_at, delivered_at)
       select $1, $2, $3, 'TEXT', participant_a_id, $4, '{}', $5, $5 from conversations where id = $2`,
      [randomUUID(), s.conversationId, rows[0].last_sequence, CONTENT, rows[0].last_message_at],
    );
    await client.query('commit');
    return true;
  } catch {
    await client.query('rollback').catch(() => undefined);
    return false;
  } finally {
    client.release();
  }
}

// ---- phases ----

async function sendPhases(server: ServerProcess, databaseUrl: string, senders: Sender[]) {
  console.log(`\nsendMessage, closed loop, one conversation per sender, clientMessageId on every send\n${COLUMNS}`);
  await warmUp(8, (w) => sendOverHttp(server.url, senders[w]));
  const http: Record<number, Measured> = {};
  for (const n of LEVELS) {
    http[n] = await measureHttp(server, n, (w) => sendOverHttp(server.url, senders[w]));
    console.log(row(`HTTP, ${plural(n, 'sender')}`, http[n]));
  }

  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  const raw: Record<number, Measured> = {};
  const old: Record<number, Measured> = {};
  try {
    for (const n of LEVELS) {
      raw[n] = { load: await timedLoad(n, SECONDS, (w) => sendMessageRaw(pool, senders[w])) };
      console.log(row(`raw send_message(), ${n}`, raw[n]));
    }
    for (const n of LEVELS) {
      old[n] = { load: await timedLoad(n, SECONDS, (w) => twoStatementRaw(pool, senders[w])) };
      console.log(row(`raw 2-statement tx (old), ${n}`, old[n]));
    }
  } finally {
    await pool.end();
  }

  const ratios = (reference: Record<number, Measured>) =>
    LEVELS.map((n) => `${n}: ${(http[n].load.perSecond / reference[n].load.perSecond).toFixed(2)}x`).join('   ');
  console.log(`\n  http/raw send_message()        ${ratios(raw)}`);
  console.log(`  http/raw 2-statement tx (old)  ${ratios(old)}`);
  return { http8: http[8], ratio8: http[8].load.perSecond / raw[8].load.perSecond };
}

async function mePhase(server: ServerProcess, token: string): Promise<Measured> {
  const me = async () => !(await graphql(server.url, token, ME)).errors;
  await warmUp(50, me);
  const m = await measureHttp(server, 50, me);
  console.log(`\n${ME}, 50 concurrent, one token\n${COLUMNS}\n${row('HTTP, 50 concurrent', m)}`);
  return m;
}

async function listPhase(server: ServerProcess): Promise<void> {
  const token = await createReader(server.url);
  const list = async () => !(await graphql(server.url, token, LIST)).errors;
  await warmUp(8, list);
  const m = await measureHttp(server, 8, list);
  console.log(`\nconversation list, 50 per page, 8 concurrent\n${COLUMNS}\n${row('HTTP, 8 concurrent', m)}`);
}

const SEARCH_MESSAGES = Number(process.env.BENCH_SEARCH_MESSAGES ?? 1_000_000);
const SEARCH_CONVERSATIONS = 2000;
const SEARCH = `query Search($q: String!) { searchMessages(query: $q, first: 20) { edges { cursor node { id content } highlights { start length } } } }`;
const SEARCH_WORDS = ['camión', 'electricista', 'mañana', 'lunes', 'pintura', 'fontanero', 'presupuesto', 'horario', 'contrato', 'llave', 'jardín', 'cocina', 'plumber', 'tomorrow', 'invoice', 'paint', 'kitchen', 'garden', 'schedule', 'price'];
const SEARCH_QUERIES = ['camion', 'electric', 'mañana lun', 'presupuesto cocina', 'paint tomo', 'fontanero', 'contrato hor', 'garden pri'];

/**
 * Seeds SEARCH_MESSAGES messages of 6 to 8 words over SEARCH_CONVERSATIONS conversations in SQL
 * (the API would take hours); the searcher is a participant of every 20th conversation.
 */
export async function seedSearch(databaseUrl: string, searcherId: string, count = SEARCH_MESSAGES): Promise<void> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await pool.query(`insert into users (id, display_name) select gen_random_uuid(), 'seed ' || g from generate_series(1, $1) g`, [SEARCH_CONVERSATIONS]);
    // Every 20th conversation is the searcher's; job application ids keep the seeded pairs distinct.
    await pool.query(
      `insert into conversations (id, participant_a_id, participant_b_id, job_application_id, last_message_at)
       select gen_random_uuid(), least(u.id, o.other), greatest(u.id, o.other), gen_random_uuid()::text, now()
       from (select id, row_number() over (order by id) as n from users where display_name like 'seed %') u
       cross join lateral (select case when u.n % 20 = 0 then $1::uuid
                                       else (select s.id from users s where s.display_name like 'seed %' and s.id <> u.id limit 1) end as other) o`,
      [searcherId],
    );
    await pool.query(
      `with c as (select id, participant_a_id, row_number() over (order by id) - 1 as n from conversations where last_sequence = 0)
       insert into messages (id, conversation_id, sequence, type, sender_id, content, created_at, delivered_at)
       select gen_random_uuid(), c.id, g / $2 + 1, 'TEXT', c.participant_a_id,
              (select string_agg(($3::text[])[1 + floor(random() * array_length($3::text[], 1))::int], ' ') from generate_series(1, 6 + g % 3) w where g >= 0),
              now() - make_interval(secs => g), now()
       from generate_series(0, $1 - 1) g join c on c.n = g % $2`,
      [count, SEARCH_CONVERSATIONS, SEARCH_WORDS],
    );
    await pool.query(`update conversations c set last_sequence = m.top from (select conversation_id, max(sequence) as top from messages group by conversation_id) m where m.conversation_id = c.id`);
    await pool.query('analyze messages');
  } finally {
    await pool.end();
  }
}

async function searchPhase(server: ServerProcess, databaseUrl: string): Promise<Measured | null> {
  if (SEARCH_MESSAGES <= 0) return null;
  const searcher = await newUser(server.url, 'Searcher');
  const seeded = Date.now();
  await seedSearch(databaseUrl, searcher.userId);
  console.log(`
searchMessages over ${SEARCH_MESSAGES} messages (seeded in ${((Date.now() - seeded) / 1000).toFixed(0)} s), 8 concurrent
${COLUMNS}`);
  let next = 0;
  const search = async () => !(await graphql(server.url, searcher.token, SEARCH, { q: SEARCH_QUERIES[next++ % SEARCH_QUERIES.length] })).errors;
  await warmUp(8, search);
  const m = await measureHttp(server, 8, search);
  console.log(row('HTTP, 8 concurrent', m));
  return m;
}

function printAims(send: { http8: Measured; ratio8: number }, me: Measured): void {
  const p99 = send.http8.load.p99;
  const cpu = me.cpuMsPerOp!;
  console.log('\naims');
  console.log(`  >= 0.5x raw, p99 <= 50 ms at 8 senders: ${send.ratio8.toFixed(2)}x raw, p99 ${p99.toFixed(1)} ms   ${verdict(send.ratio8 >= 0.5 && p99 <= 50)}`);
  console.log(`  <= 0.5 ms CPU per ${ME}: ${cpu.toFixed(2)} ms   ${verdict(cpu <= 0.5)}`);
}

async function main() {
  console.log(`node ${process.version} (server and load generator), ${os.cpus().length} CPUs, ${SECONDS} s per phase, ${WARMUP_SECONDS} s warm-up`);
  const databaseUrl = await recreateDatabase(SERVER, 'messaging_bench');
  const server = await startServerProcess(
    { DATABASE_URL: databaseUrl, JWT_SECRET: BENCH_SECRET, RATE_LIMIT_MESSAGES_PER_HOUR: '100000000', ...BENCH_NO_ABUSE_LIMITS, MIGRATE_ON_START: 'true', REDIS_PREFIX },
    PORT,
    process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    true,
  );
  try {
    console.log(`server pid ${server.pid}, NODE_ENV=production`);
    const senders = await createSenders(server.url);
    const send = await sendPhases(server, databaseUrl, senders);
    const me = await mePhase(server, senders[0].token);
    await listPhase(server);
    const search = await searchPhase(server, databaseUrl);
    printAims(send, me);
    if (search) console.log(`  search within tens of ms (p99 <= 50 ms) over ${SEARCH_MESSAGES} messages: p99 ${search.load.p99.toFixed(1)} ms   ${verdict(search.load.p99 <= 50)}`);
  } finally {
    await server.stop();
    await deleteRedisKeys(REDIS_PREFIX);
  }
}

// Imported (e.g. to seed a database for docs/query-plans.md's EXPLAIN), it runs nothing.
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
