/**
 * npm run bench:realtime — live message fan-out through graphql-ws, each figure beside the same
 * fan-out with raw `ws` + ioredis (bench/realtime-reference-server.ts: no database, no GraphQL,
 * no authentication; this process PUBLISHes frames of the same size at the same rate).
 *
 * Every phase runs fresh server processes (src/main.ts from the sources, production mode) on
 * one scratch PostgreSQL database of this run and Redis under a prefix of this run.
 * Users come in pairs, one conversation per pair (rows inserted with SQL: thousands of users
 * over HTTP would take minutes and measure nothing of interest). Senders post `sendMessage` over
 * HTTP at a fixed rate (open loop: on schedule whatever the answers take), alternately from both
 * participants, with a clientMessageId. Every message must reach both participants' sockets
 * exactly once (the sender's too: their other devices): every expected (user, message) pair is
 * checked against the receipts, after a drain of up to 5 s; latency is from the HTTP request's
 * start (reference: the PUBLISH's) to the arrival at the socket.
 *
 * Phases (BENCH_PHASES, in this order):
 * - two-instance (bench/realtime-two-instances.ts): per BENCH_SOCKETS level, two instances, the
 *   two users of a pair on different ones, each with the inbox subscription (`messageReceived`
 *   without conversationId), BENCH_RATE messages/s for BENCH_SECONDS; then the reference on two
 *   processes, per-user channels.
 * - single (bench/realtime-single.ts, bench/realtime-one-instance.ts): one instance,
 *   BENCH_SINGLE_SOCKETS sockets of graphql-ws's own client, both participants subscribed to
 *   `messageReceived(conversationId: $id)` with a chat screen's selection, BENCH_RATE messages/s
 *   for BENCH_SINGLE_SECONDS; printed against the aims (p50 <= 10 ms, p99 <= 50 ms, nothing
 *   lost or duplicated, <= 48 KiB RSS per idle subscribed socket) with PASS/MISS; then the
 *   reference on one process, per-conversation channels, the same run.
 *   Each of these two processes first gets 2 s of unmeasured sends at BENCH_RATE (warm-up).
 * - sustained: on the same sockets (the single phase's, or opened for it), the rate stepped
 *   through BENCH_STEP_RATES for BENCH_STEP_SECONDS each until a step's delivery p99 exceeds
 *   100 ms or anything is lost, duplicated or fails; the highest rate that held, for the
 *   service and for the reference, and their ratio.
 *
 * Printed per run: deliveries/s; latency p50/p99 (all deliveries, and to the other participant
 * only); lost, duplicate, unexpected and wrong-id deliveries; sendMessage HTTP latency and the
 * servers' own histograms (commit to socket write, operation, SQL) for where the time goes;
 * server RSS per idle subscribed socket (VmRSS before connecting and once all are subscribed and
 * idle, each time after a full GC done through the inspector, divided by the sockets); CPU while
 * sending of the servers, PostgreSQL, Redis, this process and anything else (the whole stack
 * shares this machine: read "other processes" before trusting a number). A summary of every
 * phase run ends the output.
 *
 * Settings:
 * - DATABASE_URL: PostgreSQL server to create the run's scratch database on (dropped at the end);
 *   REDIS_URL.
 * - BENCH_PHASES: comma list of two-instance, single, sustained (default all three).
 * - BENCH_SECONDS: sending in the two-instance phase, per level and side (default 10).
 * - BENCH_RATE: messages/s of the two-instance and single phases (default 200).
 * - BENCH_SOCKETS: the two-instance levels (default 100,1000,5000).
 * - BENCH_CLIENT: thin | graphql-ws, the two-instance phase's client (see
 *   bench/realtime-clients.ts); the one-instance phases always use graphql-ws's own.
 * - BENCH_SELECTION: full (default: the fields of docs/realtime.md's example, sender { id
 *   displayName } included) | minimal (id clientMessageId), the two-instance inbox selection.
 * - BENCH_SINGLE_SOCKETS: sockets of the single and sustained phases (default 1000).
 * - BENCH_SINGLE_SECONDS: sending in the single phase (default 15).
 * - BENCH_STEP_SECONDS: length of one sustained step (default 5).
 * - BENCH_STEP_RATES: the sustained steps, messages/s (default 200,400,600,800,1000,1500,2000).
 * - BENCH_PORT: the servers use it and +1, the references +10 and +11, inspectors +20 on each
 *   (default 4821).
 * - BENCH_SERVER_NODE_ARGS: node flags of the servers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
 * - BENCH_LOG_LEVEL: the servers' (default warn).
 * The npm script raises the open-files limit to its hard limit.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { recreateDatabase } from './lib';
import type { Scratch } from './realtime-service';
import {
  CLIENT,
  DB_NAME,
  LEVELS,
  PG_SERVER,
  PHASES,
  RATE,
  REDIS_PREFIX,
  REDIS_URL,
  SECONDS,
  SELECTION,
  SINGLE_SECONDS,
  SINGLE_SOCKETS,
  STEP_RATES,
  STEP_SECONDS,
} from './realtime-settings';
import { printOneInstanceSummary, runOneInstancePhases, type OneInstanceResults } from './realtime-single';
import { children, machineCpu, openFilesLimit, sleep, stopChild } from './realtime-support';
import { printTwoInstanceSummary, runTwoInstancePhase, type TwoInstanceLevel } from './realtime-two-instances';

const oneInstance = PHASES.has('single') || PHASES.has('sustained');

/** Drops the scratch database (only this run's: its name carries the run id) and this run's Redis keys. */
async function cleanUp(scratch: Scratch | undefined, dataDir: string): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child)));
  if (scratch) {
    const admin = new Client({ connectionString: PG_SERVER });
    await admin.connect();
    await admin.query(`drop database if exists "${DB_NAME}" with (force)`);
    await admin.end();
  }
  const redis = new Redis(REDIS_URL);
  // Rate-limit keys of older servers were not under REDIS_PREFIX: delete exactly those this run made.
  const keys = scratch ? [...scratch.users.map((id) => `rl:messages:${id}`), ...scratch.claims.map((c) => `rl:messages:claim:${c}`)] : [];
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
  redis.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
}

async function main() {
  const needed = Math.max(PHASES.has('two-instance') ? Math.max(...LEVELS) : 0, oneInstance ? SINGLE_SOCKETS : 0) + 1000;
  const limit = openFilesLimit();
  if (limit < needed) {
    throw new Error(`open files limit is ${limit}, the bench needs about ${needed}: run it through npm run bench:realtime (raises it) or \`ulimit -n ${needed}\``);
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-realtime-'));
  let scratch: Scratch | undefined;
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      void cleanUp(scratch, dataDir).finally(() => process.exit(130));
    });
  }

  const started = performance.now();
  console.log(`realtime fan-out bench: phases ${[...PHASES].join(', ')}`);
  if (PHASES.has('two-instance')) {
    console.log(`  two-instance: ${CLIENT} clients, inbox selection "${SELECTION}", ${RATE} messages/s, ${SECONDS} s per side, sockets ${LEVELS.join(', ')}`);
  }
  if (PHASES.has('single')) console.log(`  single: ${SINGLE_SOCKETS} sockets, ${RATE} messages/s for ${SINGLE_SECONDS} s`);
  if (PHASES.has('sustained')) console.log(`  sustained: ${SINGLE_SOCKETS} sockets, steps ${STEP_RATES.join(', ')} messages/s, ${STEP_SECONDS} s each`);
  // Servers, PostgreSQL, Redis and clients share this machine: anything else running skews every number.
  const idle0 = machineCpu();
  await sleep(2000);
  const idle1 = machineCpu();
  const busy = (idle1.busy - idle0.busy) / (idle1.total - idle0.total);
  console.log(`machine: ${os.cpus().length} cores, ${(busy * 100).toFixed(0)}% busy before the bench started${busy > 0.15 ? ' (other work is running: expect skewed numbers)' : ''}`);

  let twoInstance: TwoInstanceLevel[] | undefined;
  let single: OneInstanceResults | undefined;
  try {
    const databaseUrl = await recreateDatabase(PG_SERVER, DB_NAME);
    scratch = { databaseUrl, dataDir, migrated: false, users: [], claims: [] };
    if (PHASES.has('two-instance')) twoInstance = await runTwoInstancePhase(scratch);
    if (oneInstance) single = await runOneInstancePhases(scratch, { single: PHASES.has('single'), sustained: PHASES.has('sustained') });
  } finally {
    if (!interrupted) await cleanUp(scratch, dataDir);
  }

  console.log(`\nsummary (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  if (twoInstance) printTwoInstanceSummary(twoInstance);
  if (single) printOneInstanceSummary(single);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
