import { randomUUID } from 'node:crypto';
import type { ClientKind } from './realtime-clients';

/** The settings of bench/realtime.bench.ts (its header describes each) and the constants its phases share. */

const numbers = (text: string) => text.split(',').map((s) => Number(s.trim()));

export type PhaseName = 'two-instance' | 'single' | 'sustained';
const PHASE_NAMES: PhaseName[] = ['two-instance', 'single', 'sustained'];

function phases(): Set<PhaseName> {
  const listed = (process.env.BENCH_PHASES ?? PHASE_NAMES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = listed.filter((p) => !PHASE_NAMES.includes(p as PhaseName));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: unknown phase ${unknown.join(', ')} (known: ${PHASE_NAMES.join(', ')})`);
  return new Set(listed as PhaseName[]);
}

export const PHASES = phases();

// Two-instance phase (inbox subscriptions).
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const RATE = Number(process.env.BENCH_RATE ?? 200);
export const LEVELS = numbers(process.env.BENCH_SOCKETS ?? '100,1000,5000');
export const CLIENT: ClientKind = process.env.BENCH_CLIENT === 'graphql-ws' ? 'graphql-ws' : 'thin';
export const SELECTION =
  process.env.BENCH_SELECTION === 'minimal'
    ? 'id clientMessageId'
    : 'id clientMessageId conversationId sequence content createdAt sender { id displayName }';

// One-instance phases (conversation subscriptions, graphql-ws's own client).
export const SINGLE_SOCKETS = Number(process.env.BENCH_SINGLE_SOCKETS ?? 1000);
export const SINGLE_SECONDS = Number(process.env.BENCH_SINGLE_SECONDS ?? 15);
export const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 5);
export const STEP_RATES = numbers(process.env.BENCH_STEP_RATES ?? '200,400,600,800,1000,1500,2000');
/** A sustained step holds while the delivery p99 stays at or under this, with nothing lost, duplicated or failed. */
export const STEP_P99_LIMIT_MS = 100;
/** The fields a chat screen selects on its conversation subscription. */
export const SINGLE_SELECTION = 'id conversationId sequence type content clientMessageId createdAt sender { id displayName avatarUrl }';

// Shared.
export const PG_SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PORT = Number(process.env.BENCH_PORT ?? 4821);
/** Extra node flags of the servers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
export const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
export const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';

/** This run's id: the scratch database and the Redis prefix carry it, so concurrent runs never share or drop each other's. */
export const RUN = randomUUID().slice(0, 8);
export const DB_NAME = `messaging_bench_realtime_${RUN}`;
export const REDIS_PREFIX = `bench-rt:${RUN}:`;
export const CONNECT_CONCURRENCY = 100;
/** After the last send answered: how long missing deliveries may still arrive before they count as lost. */
export const DRAIN_MS = 5000;
/** Idle time once every subscription is live, before memory is read. */
export const IDLE_MS = 3000;
export const CONTENT = 'Hello, is the job still open? I can start on Monday.';
export const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id sequence } }`;

for (const [name, value] of Object.entries({ SECONDS, RATE, SINGLE_SOCKETS, SINGLE_SECONDS, STEP_SECONDS, PORT })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench setting ${name} must be a positive number, got ${value}`);
}
for (const [name, list] of Object.entries({ BENCH_SOCKETS: LEVELS, BENCH_STEP_RATES: STEP_RATES })) {
  if (list.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`${name} must be a comma list of positive numbers`);
}
