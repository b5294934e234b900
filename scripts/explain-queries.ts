/**
 * Checks that every SQL statement the API runs is served by an index: seeds a scratch database
 * with a realistic data set (20,000 users, ~100,000 conversations, 1,000,000 messages), runs
 * EXPLAIN (ANALYZE, BUFFERS) for each statement with realistic parameters and writes the plans
 * to docs/query-plans.md.
 *
 *   node -r ts-node/register/transpile-only scripts/explain-queries.ts [--keep]
 *
 * DATABASE_URL names the server (default postgresql://postgres@127.0.0.1:5432/test). The script
 * drops and creates the scratch database `messaging_explain` there, applies the migrations with
 * scripts/migrate.ts and drops the database at the end (unless --keep). Exits 1 when a
 * statement reads messages or conversations with a sequential scan.
 *
 * The statements are not copied here: explain-capture.ts runs the real services against the
 * seeded data and records what they send (scripts/explain-capture.ts).
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { LIMITS } from '../src/config';
import { CONVERSATION_COLUMNS } from '../src/services/rows';
import { captureStatements, type CaptureSamples } from './explain-capture';

const ROOT = path.resolve(__dirname, '..');
const REPORT = path.join(ROOT, 'docs', 'query-plans.md');
const SCRATCH_DB = 'messaging_explain';
const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/test';
/** Tables whose sequential scan fails the check: they grow with the traffic. */
const BIG_TABLES = ['messages', 'conversations'];
/**
 * Tables that hold a handful of rows by design (one webhook per subscribing backend): reading
 * all of them is the right plan, so a sequential scan there does not count against a statement.
 */
const FEW_ROWS_BY_DESIGN = ['webhooks'];

type Row = Record<string, unknown>;

interface QuerySpec {
  /** Where the statement comes from, e.g. `ConversationService.list`. */
  source: string;
  /** What this run shows: the case and its parameters. */
  title: string;
  /** As the services sent it: `$n` with `params` (the pool) or values inlined (MikroORM). */
  sql: string;
  params: unknown[];
  /** Explained without ANALYZE, inside BEGIN ... ROLLBACK. */
  write: boolean;
  /** Calls a PL/pgSQL function: its statements' plans are captured with auto_explain. */
  nested: boolean;
}

interface Explained extends QuerySpec {
  plan: string;
  executionMs: number;
  planningMs: number;
  rows: number;
  indexes: string[];
  seqScans: string[];
  verdict: 'index' | 'seq scan' | 'no read';
}

function log(message: string): void {
  process.stderr.write(`[explain] ${message}\n`);
}

/** `?` placeholders to `$1, $2, ...` (no statement here has a `?` inside a literal). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Strips the common indentation of a template literal, and blank edges. */
function dedent(text: string): string {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

function scratchUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${SCRATCH_DB}`;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// Seeding: set-based SQL, one session (the seed_* temp tables live in it).
// ---------------------------------------------------------------------------------------------

const LOREM =
  'Hello! Thanks for applying to the job. Are you available on Monday morning to discuss the details, ' +
  'the schedule and the rate? Looking forward to working with you on this project.';

const SEED_STEPS: [string, string][] = [
  ['users (20,000)', `
    create temp table seed_users as select n, gen_random_uuid() as id from generate_series(0, 19999) n;
    create unique index on seed_users (n);
    insert into users (id, display_name, avatar_url, last_seen_at, created_at, updated_at)
    select id, 'User ' || n,
           case when n % 3 = 0 then 'https://cdn.example.com/avatars/' || n || '.jpg' end,
           now() - (n % 720) * interval '1 hour', now() - interval '400 days' + n * interval '15 minutes', now()
    from seed_users;`],

  // Every user talks to 10 others (pairs n, n + 7k); user 0 is a heavy user with 3,200 more
  // conversations (200 of them a second one with the same person, about another job application).
  ['conversations (~103,000)', `
    create temp table seed_conversations as
    select p.*, gen_random_uuid() as id, least(ux.id, uy.id) as a, greatest(ux.id, uy.id) as b, ux.id as x_id,
           null::text as job_application_id, null::conversation_status as status, null::timestamptz as created_at,
           0 as n_messages
    from (
      select pairs.*, random() as r_status, random() as r_job, random() as r_unread, random() as r_created,
             random() as r_empty, random() as r_count
      from (
        select u.n as x, (u.n + k * 7) % 20000 as y, false as heavy_job
        from generate_series(0, 19999) u(n), generate_series(1, 5) k
        union all select 0, y, false from generate_series(100, 3099) y
        union all select 0, y, true from generate_series(100, 299) y
      ) pairs
    ) p
    join seed_users ux on ux.n = p.x
    join seed_users uy on uy.n = p.y;

    update seed_conversations set
      job_application_id = case when heavy_job then 'job-application-h' || y
                                when x = 0 and y >= 100 then null
                                when r_job < 0.3 then 'job-application-' || x || '-' || y end,
      status = (case when r_status < 0.75 then 'ACTIVE' when r_status < 0.95 then 'ARCHIVED' else 'AUTO_ARCHIVED' end)::conversation_status,
      created_at = now() - r_created * interval '365 days',
      -- ~3% empty, else 1..28 messages skewed towards few; the longest conversation takes the rest.
      n_messages = case when r_empty < 0.03 then 0 else 1 + floor(power(r_count, 2) * 27)::int end;
    -- The longest conversation: the heavy user and user 100, ACTIVE, 2% unread at its end.
    update seed_conversations set n_messages = 0, status = 'ACTIVE', r_unread = 0.1
    where x = 0 and y = 100 and not heavy_job;
    update seed_conversations set n_messages = 1000000 - (select sum(n_messages) from seed_conversations)
    where x = 0 and y = 100 and not heavy_job;

    create temp table seed_ordered as select * from seed_conversations order by id;

    insert into conversations (id, participant_a_id, participant_b_id, job_application_id, status, created_at, updated_at,
                               last_message_at, last_sequence, archived_at, archived_by_id)
    select id, a, b, job_application_id, status, created_at, now(),
           case when n_messages > 0 then created_at + (now() - created_at) * (n_messages::float8 / (n_messages + 1)) end,
           n_messages,
           case when status <> 'ACTIVE' then now() - interval '1 day' * r_status end,
           case when status = 'ARCHIVED' then x_id end
    from seed_ordered;`],

  // Gapless sequences 1..n per conversation; created_at grows with the sequence and the last one
  // is the conversation's last_message_at. The unread messages are the tail of a conversation
  // (~10% overall). 3% images, 1% system messages (and one per job application), 60% with a
  // clientMessageId.
  ['messages (1,000,000)', `
    insert into messages (id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id,
                          created_at, delivered_at, read_at)
    select gen_random_uuid(), m.id, m.seq, m.type,
           case when m.type = 'SYSTEM' then null when m.r_sender < 0.5 then m.a else m.b end,
           case when m.type <> 'IMAGE' then left('${LOREM}', 12 + (m.r_len * 160)::int) end,
           case when m.type = 'SYSTEM' then '{"event": "application.created"}'::jsonb else '{}'::jsonb end,
           case when m.type <> 'SYSTEM' and m.r_client < 0.6 then 'client-' || m.seq end,
           m.at, m.at,
           case when m.seq <= m.n_messages - round(m.n_messages * 0.2 * m.r_unread) then m.at + interval '3 minutes' end
    from (
      select c.id, c.a, c.b, c.n_messages, c.r_unread, s.seq,
             c.created_at + (now() - c.created_at) * (s.seq::float8 / (c.n_messages + 1)) as at,
             (case when s.seq = 1 and c.job_application_id is not null then 'SYSTEM'
                   when random() < 0.03 then 'IMAGE' when random() < 0.01 then 'SYSTEM' else 'TEXT' end)::message_type as type,
             random() as r_sender, random() as r_len, random() as r_client
      from seed_ordered c, generate_series(1, c.n_messages) s(seq)
    ) m;`],

  ['message_images, push_devices, notification_preferences, audit_log', `
    insert into message_images (id, message_id, status, mime_type, size_bytes, width, height, original_key, preview_key,
                                thumbnail_key, delete_after, created_at)
    select gen_random_uuid(), id,
           (case when random() < 0.9 then 'READY' when random() < 0.5 then 'DELETED' else 'FAILED' end)::image_status,
           'image/jpeg', 200000 + (random() * 3000000)::int, 1920, 1080,
           'images/' || id || '/original.jpg', 'images/' || id || '/preview.jpg', 'images/' || id || '/thumb.jpg',
           created_at + interval '90 days', created_at
    from messages where type = 'IMAGE';

    insert into push_devices (id, user_id, token, platform, created_at, last_seen_at)
    select gen_random_uuid(), u.id, 'device-token-' || u.n || '-' || d,
           (case (u.n + d) % 3 when 0 then 'IOS' when 1 then 'ANDROID' else 'WEB' end)::device_platform,
           now() - interval '200 days' + d * interval '30 days', now() - (u.n % 48) * interval '1 hour'
    from seed_users u, generate_series(1, 3) d
    where (d = 1 and u.n % 4 <> 3) or (d = 2 and u.n % 10 = 0) or (d = 3 and u.n = 0);

    insert into notification_preferences (user_id, push_enabled, new_message_push, quiet_hours_enabled, quiet_hours_timezone)
    select id, n % 10 <> 3, n % 7 <> 0, n % 5 = 0, 'Europe/Madrid' from seed_users where n % 3 = 0;

    insert into audit_log (actor_id, action, entity_type, entity_id, created_at)
    select x_id::text, 'conversation.created', 'conversation', id::text, created_at from seed_conversations
    union all
    select x_id::text, 'conversation.archived', 'conversation', id::text, now() from seed_conversations
    where status = 'ARCHIVED';`],

  // About 5% of the text messages carry one or two reactions of the participants; a tenth of
  // the users block the contacts of their conversations (more than a marketplace sees, so that
  // the table is past the size where a scan beats its primary key); two webhooks: the tables the changes, blocks and reports
  // read, at a size where the planner chooses their indexes as it would in production.
  ['message_reactions, user_blocks, webhooks', `
    insert into message_reactions (message_id, user_id, emoji, created_at)
    select m.id, u.id, e.emoji, m.created_at + interval '1 minute'
    from messages m join seed_conversations c on c.id = m.conversation_id
    cross join lateral (values (c.a), (c.b)) u(id)
    cross join lateral (select (array['👍', '❤️', '😂'])[1 + (abs(hashtext(m.id::text || u.id::text)) % 3)] as emoji) e
    where m.type = 'TEXT' and abs(hashtext(m.id::text)) % 100 < 5 and (u.id = c.a or abs(hashtext(m.id::text)) % 2 = 0);

    insert into user_blocks (blocker_id, blocked_id)
    select distinct c.a, c.b from seed_conversations c join seed_users u on u.id = c.a where u.n % 10 = 7;

    insert into webhooks (url, events, secret)
    values ('https://hooks.example.com/messaging', array['MESSAGE_SENT', 'MESSAGE_READ'], 'whsec_seed'),
           ('https://moderation.example.com/hooks', array['REPORT_CREATED', 'USER_BLOCKED'], 'whsec_seed');`],
];

async function seed(db: Client): Promise<number> {
  const started = Date.now();
  await db.query(`set synchronous_commit = off; set work_mem = '256MB'; set maintenance_work_mem = '512MB'`);
  await db.query('select setseed(0.42)');
  // The rows are consistent by construction: skip the per-row foreign key triggers (superuser only).
  const skipFks = await db.query('set session_replication_role = replica').then(
    () => true,
    () => false,
  );
  if (!skipFks) log('not a superuser: seeding with foreign key checks (slower)');
  for (const [name, sql] of SEED_STEPS) {
    const t = Date.now();
    await db.query(sql);
    log(`seeded ${name} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  // The explained statements run with the server's settings, not the seeding ones.
  await db.query('reset all');
  const t = Date.now();
  // Autovacuum's steady state: statistics and visibility map (index-only scans) up to date.
  await db.query('vacuum analyze');
  log(`vacuum analyze in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return (Date.now() - started) / 1000;
}

// ---------------------------------------------------------------------------------------------
// The statements, with parameters picked from the seeded data.
// ---------------------------------------------------------------------------------------------

async function one(db: Client, sql: string, params: unknown[] = []): Promise<Row> {
  const { rows } = await db.query<Row>(numbered(sql), params);
  if (rows.length === 0) throw new Error(`no row for: ${sql}`);
  return rows[0];
}

async function column(db: Client, sql: string, params: unknown[] = []): Promise<string[]> {
  const { rows } = await db.query<Row>(numbered(sql), params);
  return rows.map((row) => String(Object.values(row)[0]));
}

interface Samples {
  heavy: string;
  heavyConversations: number;
  typical: string;
  typicalConversations: number;
  bigConversation: Row;
  bigOther: string;
  typicalConversation: Row;
  typicalOther: string;
  page1: Row[];
  pageUsers: string[];
  newPair: [string, string];
  jobPair: Row;
  clientMessageId: string;
  clientMessageSender: string;
  unreadIds: string[];
  upToMessageId: string;
  imageMessageIds: string[];
  prefsUser: string;
  heavyToken: string;
}

async function pickSamples(db: Client): Promise<Samples> {
  const userN = async (n: number) => String((await one(db, 'select id from seed_users where n = ?', [n])).id);
  const conversationsOf = async (user: string) =>
    Number((await one(db, 'select count(*) as n from conversations where participant_a_id = ? or participant_b_id = ?', [user, user])).n);
  const other = (c: Row, user: string) => String(c.participant_a_id === user ? c.participant_b_id : c.participant_a_id);

  const heavy = await userN(0);
  const bigConversation = await one(db, `select ${CONVERSATION_COLUMNS} from conversations order by last_sequence desc limit 1`);
  // A conversation of an ordinary user with messages of the other participant still unread.
  const typicalConversation = await one(
    db,
    `select ${CONVERSATION_COLUMNS}, unread.sender_id as unread_sender from conversations c
     join lateral (select sender_id from messages m
                   where m.conversation_id = c.id and m.read_at is null and m.sender_id is not null limit 1) unread on true
     where c.status = 'ACTIVE' and c.last_sequence between 6 and 20 and ? not in (c.participant_a_id, c.participant_b_id)
     limit 1`,
    [heavy],
  );
  const typical = other(typicalConversation, String(typicalConversation.unread_sender));
  const page1 = (
    await db.query<Row>(
      numbered(`select id, participant_a_id, participant_b_id, last_sequence, activity_at::text as activity_cursor
                from conversations where (participant_a_id = ? or participant_b_id = ?) and status = 'ACTIVE'
                order by activity_at desc, id desc limit ?`),
      [heavy, heavy, LIMITS.defaultConversationPageSize],
    )
  ).rows;
  const bigOther = other(bigConversation, heavy);
  const bigId = String(bigConversation.id);
  const lastSequence = Number(bigConversation.last_sequence);
  const client = await one(
    db,
    `select client_message_id, sender_id from messages where conversation_id = ? and client_message_id is not null
     order by sequence desc limit 1`,
    [bigId],
  );
  return {
    heavy,
    heavyConversations: await conversationsOf(heavy),
    typical,
    typicalConversations: await conversationsOf(typical),
    bigConversation,
    bigOther,
    typicalConversation,
    typicalOther: String(typicalConversation.unread_sender),
    page1,
    pageUsers: [...new Set(page1.flatMap((c) => [String(c.participant_a_id), String(c.participant_b_id)]))],
    newPair: [await userN(5), await userN(10007)],
    jobPair: await one(db, `select participant_a_id, participant_b_id, job_application_id from conversations where job_application_id = 'job-application-h150'`),
    clientMessageId: String(client.client_message_id),
    clientMessageSender: String(client.sender_id),
    unreadIds: await column(
      db,
      'select id from messages where conversation_id = ? and sender_id = ? and read_at is null order by sequence limit 5',
      [bigId, bigOther],
    ),
    upToMessageId: String((await one(db, 'select id from messages where conversation_id = ? and sequence = ?', [bigId, lastSequence - 100])).id),
    imageMessageIds: await column(
      db,
      `select id from messages where conversation_id = ? and type = 'IMAGE' and sequence > ? order by sequence limit 20`,
      [bigId, lastSequence - 1000],
    ),
    prefsUser: String((await one(db, 'select user_id from notification_preferences where user_id <> ? limit 1', [heavy])).user_id),
    heavyToken: String((await one(db, 'select token from push_devices where user_id = ? order by created_at limit 1', [heavy])).token),
  };
}

/** The ids the captured calls use (explain-capture.ts). */
function captureSamples(s: Samples): CaptureSamples {
  return {
    heavy: s.heavy,
    typical: s.typical,
    bigConversationId: String(s.bigConversation.id),
    bigOther: s.bigOther,
    typicalConversationId: String(s.typicalConversation.id),
    typicalOther: s.typicalOther,
    pageUsers: s.pageUsers,
    pageConversationIds: s.page1.map((c) => String(c.id)),
    newPair: s.newPair,
    jobPair: { a: String(s.jobPair.participant_a_id), b: String(s.jobPair.participant_b_id), jobApplicationId: String(s.jobPair.job_application_id) },
    clientMessageId: s.clientMessageId,
    clientMessageSender: s.clientMessageSender,
    unreadIds: s.unreadIds,
    upToMessageId: s.upToMessageId,
    imageMessageIds: s.imageMessageIds,
    prefsUser: s.prefsUser,
    heavyToken: s.heavyToken,
  };
}

// ---------------------------------------------------------------------------------------------
// EXPLAIN and the report.
// ---------------------------------------------------------------------------------------------

async function explain(db: Client, spec: QuerySpec): Promise<Explained> {
  // A write already ran once while it was captured: a second run could conflict on its keys.
  const sql = `explain (${spec.write ? '' : 'analyze, buffers, '}format text) ${spec.sql}`;
  const run = async () => {
    if (spec.write) await db.query('begin');
    try {
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(sql, spec.params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      if (spec.write) await db.query('rollback');
    }
  };
  await run(); // warm the cache: the report shows the second run
  let plan = await run();
  if (spec.nested) plan += await nestedPlans(db, spec);
  const indexes = new Set<string>();
  const seqScans = new Set<string>();
  for (const match of plan.matchAll(/(?:Index Scan|Index Only Scan)(?: Backward)? using (\S+) on (\S+)/g)) indexes.add(match[1]);
  for (const match of plan.matchAll(/Bitmap Index Scan on (\S+)/g)) indexes.add(match[1]);
  for (const match of plan.matchAll(/Conflict Arbiter Indexes: (.+)/g)) for (const name of match[1].split(', ')) indexes.add(`${name.trim()} (arbiter)`);
  for (const match of plan.matchAll(/Seq Scan on (\S+)/g)) if (!FEW_ROWS_BY_DESIGN.includes(match[1])) seqScans.add(match[1]);
  const bigSeq = [...seqScans].filter((t) => BIG_TABLES.includes(t));
  const verdict = seqScans.size > 0 ? 'seq scan' : indexes.size > 0 ? 'index' : 'no read';
  const top = plan.split('\n')[0].match(/actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/);
  return {
    ...spec,
    plan,
    executionMs: Number(plan.match(/Execution Time: ([\d.]+) ms/)?.[1] ?? NaN),
    planningMs: Number(plan.match(/Planning Time: ([\d.]+) ms/)?.[1] ?? NaN),
    rows: Number(top?.[1] ?? 0),
    indexes: [...indexes],
    seqScans: bigSeq.length > 0 ? bigSeq : [...seqScans],
    verdict,
  };
}

/**
 * The plans of the statements a function runs, from auto_explain (loaded in this session only;
 * its LOG lines reach the client with client_min_messages = log). Empty when it is unavailable.
 */
async function nestedPlans(db: Client, spec: QuerySpec): Promise<string> {
  const loaded = await db.query(`load 'auto_explain'`).then(
    () => true,
    () => false,
  );
  if (!loaded) return '\n\n(auto_explain is not available: the plans of the statements inside the function are not shown)';
  const logged: string[] = [];
  const listener = (message: { message?: string }) => {
    if (message.message?.includes('plan:')) logged.push(message.message);
  };
  await db.query(
    `set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_buffers = on;
     set auto_explain.log_nested_statements = on; set auto_explain.log_format = text; set client_min_messages = log`,
  );
  db.on('notice', listener);
  try {
    await db.query('begin');
    // The captured call ran it once already: a second run may answer differently (a replay).
    await db.query(spec.sql, spec.params).catch((error: unknown) => logged.push(`(the second run failed: ${String(error)})`));
  } finally {
    await db.query('rollback');
    await db.query('reset client_min_messages; reset auto_explain.log_min_duration');
    db.off('notice', listener);
  }
  // Leave out the calling statement itself: its plan is the one above.
  const inner = logged.filter((m) => !m.includes(spec.sql.split('$')[0]));
  return inner.map((m) => `\n\n-- inside the function (auto_explain)\n${m.replace(/^duration: [\d.]+ ms\s+plan:\n/, '')}`).join('');
}

/** Writes are explained without ANALYZE: no timings. */
function ms(value: number): string {
  return Number.isNaN(value) ? '—' : value.toFixed(3);
}

function anchor(index: number, spec: QuerySpec): string {
  return `${index + 1}-${spec.source}`.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}

function verdictText(e: Explained): string {
  if (e.verdict === 'seq scan') return `**NO: Seq Scan on ${e.seqScans.join(', ')}**`;
  if (e.verdict === 'no read') return 'no read (plain insert)';
  return 'yes';
}

interface Environment {
  postgres: string;
  settings: Row[];
  tables: Row[];
  seedSeconds: number;
  allIndexes: string[];
  samples: Samples;
  unreadShare: number;
}

/**
 * Statements that no step of scripts/explain-capture.ts runs (background work: relays, jobs,
 * replays), listed with the index each was made for, so that the report still names them.
 */
const NOT_CAPTURED = [
  '## Statements not explained here',
  '',
  'Background work and replays, which the capture does not run; each is served by an index made for it:',
  '',
  '| statement | index |',
  '| --- | --- |',
  '| replay of `messageReceived(afterSequence)` (pages of 200 by sequence) | `messages_conversation_sequence_unique` |',
  '| replay of `messageUpdated(afterRevision)` (pages of 200 by revision) | `messages_revision_idx` (partial: `revision > 0`) |',
  '| contacts of `presenceChanged` (1000 most recently active conversations) | `conversations_a_list_idx`, `conversations_b_list_idx` |',
  "| `users.last_seen_at` on OFFLINE | `users_pkey` |",
  "| auto-archive batches (`status = 'ACTIVE' and activity_at < ?`, `for update skip locked`) | `conversations_active_idle_idx` |",
  '| image expiry batches (`delete_after < ?`, not DELETED) | `message_images_expiry_idx` |',
  '| push batches and held notifications | `push_conversation_state` primary key and `push_conversation_state_due_idx`, `push_notifications_held_idx`, `push_deliveries` primary key |',
  '| the outbox relay (`lease_until < now()`, `for update skip locked`) | `outbox_lease_idx` |',
  "| Agenda's job polling | `agenda_jobs_find_and_lock_idx`, `agenda_jobs_next_run_at_idx` |",
  '',
  'The `active_conversations` gauge of `/metrics` counts ACTIVE conversations with a full scan',
  '(about 17 ms on 100,000 conversations): it is not an API query, and in production it is taken',
  'at most once a minute whatever the scrape interval. Search at scale: docs/scaling.md.',
  '',
];

function report(results: Explained[], env: Environment): string {
  const cpus = os.cpus();
  const lines: string[] = [];
  const bigLast = Number(env.samples.bigConversation.last_sequence);
  lines.push(
    '# Query plans',
    '',
    `Every SQL statement the API runs, explained on a database of 1,000,000 messages: ${
      results.some((e) => e.verdict === 'seq scan') ? '**not all of them are served by an index** (see the summary).' : 'each one is served by an index.'
    }`,
    'The plans below are the output of `EXPLAIN (ANALYZE, BUFFERS)` (second run, warm cache); writes ran inside',
    '`BEGIN ... ROLLBACK`. **Generated file: do not edit by hand.**',
    '',
    'Regenerate (takes a minute or two; needs a PostgreSQL server, by default `postgresql://postgres@127.0.0.1:5432/test`):',
    '',
    '```sh',
    'DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test node -r ts-node/register/transpile-only scripts/explain-queries.ts',
    '```',
    '',
    'The script creates the scratch database `messaging_explain` on that server, applies the migrations with',
    '`scripts/migrate.ts`, seeds it with set-based SQL, runs `VACUUM ANALYZE` (the steady state autovacuum keeps),',
    'runs the services on ids picked from the data, explains each statement they sent (captured by',
    '`scripts/explain-capture.ts`, never copied) and drops the database. It exits 1 when a statement reads',
    '`messages` or `conversations` with a sequential scan.',
    '',
    `- Generated: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}`,
    `- Server: ${env.postgres}; ${env.settings.map((r) => `${r.name}=${r.setting}`).join(', ')}`,
    `- Seeding took ${env.seedSeconds.toFixed(0)} s.`,
    '',
    '## Data set',
    '',
    '| Table | Rows | Size (with indexes) |',
    '| --- | ---: | ---: |',
    ...env.tables.map((t) => `| ${t.relname} | ${Number(t.rows).toLocaleString('en')} | ${t.size} |`),
    '',
    `- Users: every user has 10 conversations; the **heavy user** has ${env.samples.heavyConversations.toLocaleString('en')}`,
    '  (on both sides of the ordered pair, 200 pairs with a second conversation about another job application).',
    '- Conversations: 75% ACTIVE, 20% ARCHIVED, 5% AUTO_ARCHIVED; ~30% with a job application; ~3% without messages.',
    `- Messages: 1 to 28 per conversation (skewed towards few), gapless sequences; the longest conversation has`,
    `  ${bigLast.toLocaleString('en')} messages. ${(env.unreadShare * 100).toFixed(1)}% unread (the tail of a conversation),`,
    '  60% with a clientMessageId, 3% images (with a `message_images` row), 1% system messages.',
    '',
    '## Summary',
    '',
    '| # | Statement | Case | Index used | Rows | Time (ms) | Served by an index |',
    '| ---: | --- | --- | --- | ---: | ---: | --- |',
    ...results.map(
      (e, i) =>
        `| [${i + 1}](#${anchor(i, e)}) | ${e.source} | ${e.title} | ${e.indexes.map((x) => `\`${x}\``).join(', ') || '—'} | ${e.rows} | ${ms(e.executionMs)} | ${verdictText(e)} |`,
    ),
    '',
  );
  const failing = results.filter((e) => e.verdict === 'seq scan');
  lines.push(
    failing.length === 0
      ? 'No statement reads `messages` or `conversations` (or any other table) with a sequential scan.'
      : [
          `**${failing.length} statement(s) use a sequential scan:**`,
          '',
          ...failing.map(
            (e) =>
              `- [${e.source}](#${anchor(results.indexOf(e), e)}): Seq Scan on ${e.seqScans.join(', ')}`,
          ),
        ].join('\n'),
    '',
  );
  const used = new Set(results.flatMap((e) => e.indexes.map((x) => x.replace(/ \(arbiter\)$/, ''))));
  const unused = env.allIndexes.filter((x) => !used.has(x));
  if (unused.length > 0) {
    lines.push(
      'Indexes no API statement reads (they still enforce uniqueness or serve jobs):',
      '',
      ...unused.map((x) => `- \`${x}\`: ${unusedReason(x)}`),
      '',
    );
  }
  lines.push(
    'Not explained: `select 1` (the readiness probe, no table).',
    '',
    '## Plans',
    '',
  );
  results.forEach((e, i) => {
    lines.push(
      `### ${i + 1}. ${e.source}`,
      '',
      `<a id="${anchor(i, e)}"></a>${e.title}${e.write ? ' (write: plan only, in `BEGIN ... ROLLBACK`)' : ''}.`,
      '',
      `Index: ${e.indexes.map((x) => `\`${x}\``).join(', ') || '—'}. Execution ${ms(e.executionMs)} ms, planning ${ms(e.planningMs)} ms, ${e.rows} row(s). Served by an index: ${verdictText(e)}.`,
      '',
    );
    lines.push('```sql', dedent(e.sql), '```', '', '```', e.plan, '```', '');
  });
  lines.push(...NOT_CAPTURED);
  return lines.join('\n');
}

/** Why an index no API statement reads exists. */
function unusedReason(index: string): string {
  const reasons: Record<string, string> = {
    conversations_active_idle_idx: 'the auto-archive job (ACTIVE conversations, oldest activity first), not an API statement',
    message_images_expiry_idx: 'the image expiry job, not an API statement',
    audit_log_entity_idx: 'audit look-ups by entity (support), not an API statement',
  };
  return reasons[index] ?? (index.endsWith('_pkey') ? 'primary key (uniqueness; rows are not read by id)' : 'uniqueness');
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const serverUrl = process.env.DATABASE_URL || DEFAULT_URL;
  const url = scratchUrl(serverUrl);
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  let db: Client | undefined;
  try {
    await admin.query(`drop database if exists ${SCRATCH_DB} with (force)`);
    await admin.query(`create database ${SCRATCH_DB}`);
    log(`created ${SCRATCH_DB}; applying migrations`);
    const migrate = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join('scripts', 'migrate.ts'), 'up'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 2, 2],
    });
    if (migrate.status !== 0) throw new Error(`scripts/migrate.ts up failed with status ${migrate.status}`);

    db = new Client({ connectionString: url });
    await db.connect();
    const seedSeconds = await seed(db);
    const samples = await pickSamples(db);
    log('capturing the statements of the services');
    const queries: QuerySpec[] = await captureStatements(url, captureSamples(samples));
    // Reads first: a rolled-back write still leaves dead row versions and clears visibility map
    // bits, which would cost the reads after it heap fetches that the steady state does not have.
    const bySpec = new Map<QuerySpec, Explained>();
    for (const spec of [...queries.filter((q) => !q.write), ...queries.filter((q) => q.write)]) {
      const result = await explain(db, spec);
      log(`${result.verdict.padEnd(8)} ${ms(result.executionMs).padStart(9)} ms  ${spec.source}: ${spec.title}`);
      bySpec.set(spec, result);
    }
    const results = queries.map((spec) => bySpec.get(spec)!);

    const env: Environment = {
      postgres: String((await one(db, 'select version() as v')).v).replace(/ on .*/, ''),
      settings: (
        await db.query<Row>(
          `select name, current_setting(name) as setting from pg_settings
           where name in ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit') order by name`,
        )
      ).rows,
      tables: (
        await db.query<Row>(
          `select relname, n_live_tup as rows, pg_size_pretty(pg_total_relation_size(relid)) as size
           from pg_stat_user_tables where schemaname = 'public' and relname <> 'mikro_orm_migrations'
           order by pg_total_relation_size(relid) desc`,
        )
      ).rows,
      seedSeconds,
      allIndexes: await column(db, `select indexname from pg_indexes where schemaname = 'public' and tablename <> 'mikro_orm_migrations' order by indexname`),
      samples,
      unreadShare: Number((await one(db, 'select avg((read_at is null)::int) as share from messages')).share),
    };
    writeFileSync(REPORT, report(results, env));
    log(`wrote ${path.relative(ROOT, REPORT)}`);
    const failing = results.filter((e) => e.verdict === 'seq scan');
    for (const e of failing) log(`NOT SERVED BY AN INDEX: ${e.source} (${e.title}): Seq Scan on ${e.seqScans.join(', ')}`);
    return failing.some((e) => e.seqScans.some((t) => BIG_TABLES.includes(t))) ? 1 : 0;
  } finally {
    await db?.end().catch(() => undefined);
    if (!keep) {
      await admin.query(`drop database if exists ${SCRATCH_DB} with (force)`).catch((error: unknown) => log(`drop failed: ${String(error)}`));
    } else {
      log(`kept ${url}`);
    }
    await admin.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
