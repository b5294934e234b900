/**
 * npm run bench:jobs — archive-idle-conversations over 1,000,000 conversations, 100,000 of them
 * idle, seeded with set-based SQL into a scratch database. The job runs as `npm run jobs:run`
 * does, in its own process: its duration and peak memory (VmHWM), and the p50/p99 of the
 * conversation list query (over HTTP, against the server in a child process) before and while it
 * runs. Then a second run, which must find nothing.
 * Settings: DATABASE_URL (server to create the scratch database on), BENCH_CONVERSATIONS
 * (1000000), BENCH_IDLE (100000), BENCH_USERS (10000), BENCH_SECONDS (baseline, 10),
 * BENCH_CONCURRENCY (4), BENCH_PORT, BENCH_KEEP_DB=1 to keep the database, REDIS_URL (optional:
 * the job's ARCHIVED events then go through Redis).
 */
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { Client } from 'pg';
import { signDevToken } from '../src/auth/token-issuer';
import { BENCH_SECRET, graphql, percentile, recreateDatabase, ROOT, startServerProcess, timedLoad, type LoadResult } from './lib';

const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 1_000_000);
const IDLE = Number(process.env.BENCH_IDLE ?? 100_000);
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const PORT = Number(process.env.BENCH_PORT ?? 4610);
const DB_NAME = 'messaging_bench_jobs';
const LIST = `query List($first: Int) { conversations(first: $first) { edges { node { id status lastMessageAt } } pageInfo { hasNextPage } } }`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmt = (r: LoadResult) =>
  `p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   ${r.perSecond.toFixed(0).padStart(5)} queries/s   (${r.count} queries, ${r.errors} errors)`;

async function seed(url: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(`insert into users (id, display_name) select gen_random_uuid(), 'bench-' || g from generate_series(1, $1) g`, [USERS]);
    // Each user gets about 2 * CONVERSATIONS / USERS conversations; the idle ones are spread over
    // all users, their activity 91 to ~200 days ago, the others within the last 89 days.
    await db.query(
      `with u as (select array_agg(id order by display_name) as ids from users),
            pairs as (
              select g, u.ids[1 + g % $1] as x, u.ids[1 + (g % $1 + 1 + (g / $1) % ($1 - 1)) % $1] as y
              from generate_series(1, $2) g, u
            )
       insert into conversations (id, participant_a_id, participant_b_id, job_application_id, created_at, updated_at)
       select gen_random_uuid(), least(x, y), greatest(x, y), 'job-' || g, at, at
       from (select g, x, y,
                    case when g % ($2 / $3) = 0 and g / ($2 / $3) <= $3
                         then now() - interval '91 days' - (g % 9973) * interval '15 minutes'
                         else now() - (g % 89) * interval '1 day' - (g % 1440) * interval '1 minute' end as at
             from pairs) as rows`,
      [USERS, CONVERSATIONS, IDLE],
    );
    await db.query('analyze');
  } finally {
    await db.end();
  }
}

async function count(url: string, sql: string): Promise<number> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return Number((await db.query(sql)).rows[0].n);
  } finally {
    await db.end();
  }
}

/** Peak resident memory of a process (VmHWM), in MB; NaN once it is gone. */
async function peakMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

interface JobRun {
  ms: number;
  /** The job's own time, without the process start. */
  jobMs: number;
  peakMb: number;
  archived: number;
  batches: number;
}

/** Runs `npm run jobs:run -- archive-idle-conversations` in a child process; `during` runs until it exits. */
async function runArchiveJob(env: NodeJS.ProcessEnv, during?: (done: () => boolean) => Promise<LoadResult>): Promise<{ run: JobRun; load?: LoadResult }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/jobs-run.ts', 'archive-idle-conversations'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let peak = 0;
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  const sampler = setInterval(() => void peakMb(child.pid!).then((mb) => (peak = Number.isNaN(mb) ? peak : Math.max(peak, mb))), 50);
  const load = during ? during(() => exited) : undefined;
  const code = await exit;
  clearInterval(sampler);
  if (code !== 0) throw new Error(`the job exited with ${code}`);
  const done = output.split('\n').map((line) => (line.startsWith('{') ? JSON.parse(line) : {})).find((line) => line.msg === 'job done') ?? {};
  return {
    run: { ms: performance.now() - started, jobMs: Number(done.ms), peakMb: peak, archived: Number(done.archived), batches: Number(done.batches) },
    load: load ? await load : undefined,
  };
}

/** List queries from `CONCURRENCY` loops until `done()`; latencies in ms. */
async function loadUntil(url: string, tokens: string[], done: () => boolean): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = worker; !done(); i += CONCURRENCY) {
        const t0 = performance.now();
        const result = await graphql(url, tokens[i % tokens.length], LIST, { first: 20 }).catch(() => ({ errors: [1] }));
        latencies.push(performance.now() - t0);
        if (result.errors) errors += 1;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const elapsed = (performance.now() - started) / 1000;
  return { count: latencies.length, errors, seconds: elapsed, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main() {
  console.log(`bench:jobs — ${CONVERSATIONS.toLocaleString('en')} conversations (${IDLE.toLocaleString('en')} idle), ${USERS.toLocaleString('en')} users`);
  const url = await recreateDatabase(SERVER, DB_NAME);
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/migrate.ts', 'up'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  let t0 = performance.now();
  await seed(url);
  console.log(`seeded with set-based SQL in ${seconds(performance.now() - t0)}`);
  const idleBefore = await count(url, `select count(*) as n from conversations where status = 'ACTIVE' and activity_at < now() - interval '90 days'`);
  console.log(`idle ACTIVE conversations: ${idleBefore.toLocaleString('en')}`);

  const redis = process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `bench:${randomUUID()}:` } : { REDIS_URL: '' };
  const env = { ...process.env, ...redis, DATABASE_URL: url, JWT_SECRET: BENCH_SECRET, MIGRATE_ON_START: 'false', DATA_DIR: `/tmp/messaging-bench-jobs-${process.pid}` };
  // The server only schedules: the archive runs in its own process, as `jobs:run` or a worker would.
  const server = await startServerProcess({ ...env, JOBS_IN_PROCESS: 'false' } as Record<string, string>, PORT, [], true);
  try {
    const db = new Client({ connectionString: url });
    await db.connect();
    const { rows } = await db.query(`select id from users order by random() limit 500`);
    await db.end();
    const tokens = await Promise.all(rows.map((row: { id: string }) => signDevToken(BENCH_SECRET, { sub: row.id })));
    // Provision the users once (the first request of a token writes the user).
    await Promise.all(tokens.map((token) => graphql(server.url, token, LIST, { first: 1 })));
    await timedLoad(CONCURRENCY, 2, (worker) => graphql(server.url, tokens[worker], LIST, { first: 20 }).then((r) => !r.errors));

    const before = await timedLoad(CONCURRENCY, SECONDS, async () => {
      const result = await graphql(server.url, tokens[Math.floor(Math.random() * tokens.length)], LIST, { first: 20 });
      return !result.errors;
    });
    console.log(`\nconversation list (first: 20), ${CONCURRENCY} concurrent, before the job:  ${fmt(before)}`);

    const jobEnv = { ...env, LOG_LEVEL: 'info' } as NodeJS.ProcessEnv;
    t0 = performance.now();
    const first = await runArchiveJob(jobEnv, (done) => loadUntil(server.url, tokens, done));
    console.log(`conversation list (first: 20), ${CONCURRENCY} concurrent, while it runs: ${fmt(first.load!)}`);
    console.log(
      `\narchive-idle-conversations: ${first.run.archived.toLocaleString('en')} archived in ${first.run.batches} batches, ` +
        `${seconds(first.run.jobMs)} (${seconds(first.run.ms)} with the process start), peak RSS ${first.run.peakMb.toFixed(0)} MB`,
    );
    const archived = await count(url, `select count(*) as n from conversations where status = 'AUTO_ARCHIVED'`);
    const audit = await count(url, `select count(*) as n from audit_log where action = 'conversation.auto_archived'`);
    console.log(`check: AUTO_ARCHIVED ${archived.toLocaleString('en')}, audit rows ${audit.toLocaleString('en')}, expected ${idleBefore.toLocaleString('en')}`);

    const second = await runArchiveJob(jobEnv);
    console.log(`second run: ${second.run.archived} archived in ${second.run.jobMs} ms (${seconds(second.run.ms)} with the process start)`);
    if (archived !== idleBefore || audit !== idleBefore || second.run.archived !== 0) process.exitCode = 1;
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) {
      const admin = new Client({ connectionString: SERVER });
      await admin.connect();
      await admin.query(`drop database if exists "${DB_NAME}" with (force)`);
      await admin.end();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
