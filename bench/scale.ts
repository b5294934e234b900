/**
 * npm run bench:scale — issue 15 point 6: is monthly range partitioning of `messages` on
 * created_at worth it? Generates BENCH_SCALE_MESSAGES messages with generate_series (SQL, not
 * the API; bench/scale-seed.ts for the shape) into a scratch database whose schema the
 * project's migrations create, copies them into a partitioned `part.messages`
 * (bench/scale-partition.ts), and times the service's own statements (bench/scale-queries.ts:
 * history page at depth, conversation list of a user with thousands of conversations, search,
 * one auto-archive batch) on both layouts, sample after sample alternating between them, with a
 * raw reference (`select 1`, a primary-key lookup) timed the same way in the same run, so that
 * a loaded machine shows as such. The database is dropped at the end, also after a failure.
 *
 * Settings (environment):
 *   DATABASE_URL            PostgreSQL server (postgresql://postgres@127.0.0.1:5432/test); the
 *                           scratch database messaging_bench_scale is created on it
 *   BENCH_SCALE_MESSAGES    messages to generate (10000000; e.g. 100000 for a quick run)
 *   BENCH_SCALE_SAMPLES     samples per statement (200; search a quarter, archive a tenth)
 *   BENCH_SCALE_EXPLAIN     1: print EXPLAIN (ANALYZE, BUFFERS) of a search on each layout
 *   BENCH_SCALE_PARTITIONED 0: skip the partitioned layout
 *   BENCH_KEEP_DB           1: keep the database (drop it yourself)
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Client } from 'pg';
import { percentile, recreateDatabase, ROOT } from './lib';
import { PARTITIONED_SEARCH_PATH, partitionMessages } from './scale-partition';
import { loadFixtures, searchForExplain, searchSelectivity, timedQueries, type Fixtures } from './scale-queries';
import { seed, shapeFor } from './scale-seed';

const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const MESSAGES = Number(process.env.BENCH_SCALE_MESSAGES ?? 10_000_000);
const SAMPLES = Number(process.env.BENCH_SCALE_SAMPLES ?? 200);
const EXPLAIN = process.env.BENCH_SCALE_EXPLAIN === '1';
const PARTITIONED = process.env.BENCH_SCALE_PARTITIONED !== '0';
const DB_NAME = 'messaging_bench_scale';

interface Timing {
  name: string;
  p50: number;
  p95: number;
  samples: number;
}

const log = (line: string) => console.log(line);
const ms = (value: number) => value.toFixed(value < 10 ? 3 : 1).padStart(8);

/**
 * Each statement's samples alternate between the layouts (A B, B A, A B, ...), so that other
 * work on the machine weighs on both alike. `layouts` are connections, one per layout.
 */
async function measure(layouts: Client[], fixtures: Fixtures): Promise<Timing[][]> {
  const results: Timing[][] = layouts.map(() => []);
  for (const query of timedQueries(fixtures, SAMPLES, MESSAGES)) {
    // A few unmeasured samples first: the pages in cache, the connection's catalog caches warm.
    for (const db of layouts) for (let i = 0; i < Math.min(5, query.samples); i += 1) await query.run(db, i);
    const latencies: number[][] = layouts.map(() => []);
    for (let i = 0; i < query.samples; i += 1) {
      for (let k = 0; k < layouts.length; k += 1) {
        const which = i % 2 === 0 ? k : layouts.length - 1 - k;
        const t0 = performance.now();
        await query.run(layouts[which], i);
        latencies[which].push(performance.now() - t0);
      }
    }
    const line = latencies.map((sorted, which) => {
      sorted.sort((a, b) => a - b);
      const timing = { name: query.name, p50: percentile(sorted, 50), p95: percentile(sorted, 95), samples: query.samples };
      results[which].push(timing);
      return `${ms(timing.p50)} /${ms(timing.p95)}`;
    });
    const ratio = results.length > 1 ? `   x${(results[1].at(-1)!.p50 / results[0].at(-1)!.p50).toFixed(2)}` : '';
    log(`  ${query.name.padEnd(48)} ${line.join('   ')}${ratio}   (${query.samples} samples each)`);
  }
  return results;
}

async function explainSearch(db: Client, fixtures: Fixtures, layout: string): Promise<void> {
  if (!EXPLAIN) return;
  const { text, values } = searchForExplain(fixtures);
  await db.query(`explain (analyze, buffers) ${text}`, values); // warm
  const plan = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${text}`, values);
  log(`\nEXPLAIN (ANALYZE, BUFFERS) of the search, ${layout} (tsquery ${JSON.stringify(values[0])}, heavy user):`);
  for (const row of plan.rows) log(`    ${row['QUERY PLAN']}`);
}

async function sizes(db: Client, schema: 'public' | 'part'): Promise<string> {
  const table = `${schema}.messages`;
  const row = (
    await db.query<{ messages: string; total: string; conversations: string; users: string }>(
      `select (select count(*) from ${table}) as messages, pg_size_pretty(pg_total_relation_size('${table}')
              + coalesce((select sum(pg_total_relation_size(inhrelid)) from pg_inherits where inhparent = '${table}'::regclass), 0)) as total,
              (select count(*) from conversations) as conversations, (select count(*) from users) as users`,
    )
  ).rows[0];
  return `${Number(row.messages).toLocaleString('en')} messages (${row.total} with indexes), ${Number(row.conversations).toLocaleString('en')} conversations, ${Number(row.users).toLocaleString('en')} users`;
}

async function main(): Promise<void> {
  const shape = shapeFor(MESSAGES);
  log(`bench:scale — ${MESSAGES.toLocaleString('en')} messages asked; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on this machine shows in the raw lines)`);
  const url = await recreateDatabase(SERVER, DB_NAME);
  const db = new Client({ connectionString: url });
  let partitioned: Client | undefined;
  try {
    execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/migrate.ts', 'up'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await db.connect();
    const version = (await db.query<{ server_version: string }>('show server_version')).rows[0].server_version;
    log(`PostgreSQL ${version}; schema from migrations/; generating:`);
    await seed(db, shape, log);
    if (PARTITIONED) {
      log('copying messages into monthly range partitions on created_at (schema part):');
      await partitionMessages(db, log);
    }
    const fixtures = await loadFixtures(db);
    log(`\nlayout 1, plain: messages as the migrations create it — ${await sizes(db, 'public')}`);
    if (PARTITIONED) log(`layout 2, partitioned: part.messages by month — ${await sizes(db, 'part')}`);
    log(`longest conversation ${fixtures.long[0].last.toLocaleString('en')} messages; ${fixtures.long.length - 1} more of ${fixtures.long.at(-1)!.last.toLocaleString('en')}+; heavy users: ${shape.heavyConversations.toLocaleString('en')} conversations each`);
    const total = Number((await db.query<{ n: string }>('select count(*) as n from public.messages')).rows[0].n);
    log(`messages matching each search query (all users): ${(await searchSelectivity(db, total)).join(', ')}`);
    partitioned = PARTITIONED ? new Client({ connectionString: url, options: `-c search_path=${PARTITIONED_SEARCH_PATH.replace(' ', '')}` }) : undefined;
    await partitioned?.connect();
    const layouts = partitioned ? [db, partitioned] : [db];
    log(`\np50 / p95 in ms, ${layouts.length === 2 ? 'plain then partitioned, then the ratio of the p50s (> 1: partitioning is slower)' : 'plain'}`);
    await measure(layouts, fixtures);
    await explainSearch(db, fixtures, 'plain');
    if (partitioned) await explainSearch(partitioned, fixtures, 'partitioned');
    log(`\nload average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await partitioned?.end().catch(() => {});
    await db.end().catch(() => {});
    if (process.env.BENCH_KEEP_DB !== '1') {
      const admin = new Client({ connectionString: SERVER });
      await admin.connect();
      await admin.query(`drop database if exists "${DB_NAME}" with (force)`);
      await admin.end();
      log(`dropped ${DB_NAME}`);
    }
  }
}

// Ctrl-C or a kill mid-statement: drop the database (with force: it ends our own connection) and leave.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const admin = new Client({ connectionString: SERVER });
    void admin
      .connect()
      .then(() => admin.query(`drop database if exists "${DB_NAME}" with (force)`))
      .finally(() => process.exit(130));
  });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
