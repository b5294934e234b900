/**
 * npm run bench:profile — a CPU profile of the server under one kind of load, summarised as
 * text (what docs/performance.md quotes). The server runs the build in production mode under
 * `node --cpu-prof`; the load runs for BENCH_SECONDS after a warm-up; the summary covers only
 * the measured window. The .cpuprofile stays in BENCH_PROFILE_DIR for DevTools.
 *
 * Settings: DATABASE_URL (server to create the scratch database messaging_profile on),
 * REDIS_URL (optional: Redis pub/sub and rate limit, as deployed), BENCH_PROFILE_OPERATION
 * (send | me, default send), BENCH_CONCURRENCY (default 8), BENCH_SECONDS (default 6),
 * BENCH_PROFILE_DIR (default a new directory under the system's temp directory), BENCH_ONE_TOKEN
 * (any value: every client uses the first client's token, as bench:api's `me` phase does).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signDevToken } from '../src/auth/token-issuer';
import { printSummary, summariseProfile } from './cpu-profile-summary';
import { BENCH_SECRET, deleteRedisKeys, graphql, processCpuSeconds, recreateDatabase, startServerProcess, timedLoad, BENCH_NO_ABUSE_LIMITS } from './lib';

const OPERATION = process.env.BENCH_PROFILE_OPERATION === 'me' ? 'me' : 'send';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id sequence createdAt } }`;

async function main() {
  const profileDir = process.env.BENCH_PROFILE_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'messaging-profile-'));
  const databaseUrl = await recreateDatabase(SERVER, 'messaging_profile');
  const redisPrefix = `bench-profile:${randomUUID()}:`;
  const redis: Record<string, string> = process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: redisPrefix } : {};
  const server = await startServerProcess(
    { DATABASE_URL: databaseUrl, JWT_SECRET: BENCH_SECRET, MIGRATE_ON_START: 'true', RATE_LIMIT_MESSAGES_PER_HOUR: '100000000', ...BENCH_NO_ABUSE_LIMITS, ...redis },
    Number(process.env.BENCH_PORT ?? 4815),
    ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    true,
  );
  const senders = await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const token = await signDevToken(BENCH_SECRET, { sub: a, name: 'Sender', ttl: '2h' });
      await graphql(server.url, await signDevToken(BENCH_SECRET, { sub: b, name: 'Recipient', ttl: '2h' }), '{ me { id } }');
      const started = await graphql(server.url, token, 'mutation($p: ID!) { startConversation(input: { participantId: $p }) { id } }', { p: b });
      return { token, conversationId: (started.data!.startConversation as { id: string }).id };
    }),
  );
  const task = async (worker: number) => {
    const { token, conversationId } = senders[process.env.BENCH_ONE_TOKEN ? 0 : worker];
    const variables = { input: { conversationId, content: 'Hello, is the job still open?', clientMessageId: randomUUID() } };
    const answer = OPERATION === 'me' ? await graphql(server.url, token, '{ me { id } }') : await graphql(server.url, token, SEND, variables);
    return !answer.errors;
  };
  await timedLoad(CONCURRENCY, 2, task); // warm-up: JIT and pools
  const startedAt = performance.now();
  const cpuBefore = processCpuSeconds(server.pid);
  const result = await timedLoad(CONCURRENCY, SECONDS, task);
  const cpuAfter = processCpuSeconds(server.pid);
  const endedAt = performance.now();
  await server.stop();
  const stoppedAt = performance.now();
  await deleteRedisKeys(redisPrefix);

  const file = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile')).sort().pop();
  if (!file) throw new Error(`no profile in ${profileDir}`);
  const profilePath = path.join(profileDir, file);
  const { durationMs } = profileDuration(profilePath);
  // The profile ends when the server exits: count the window back from there.
  const summary = summariseProfile(profilePath, durationMs - (stoppedAt - startedAt), durationMs - (stoppedAt - endedAt));
  console.log(`node ${process.version}; ${OPERATION === 'me' ? '{ me { id } }' : 'sendMessage'} from ${CONCURRENCY} concurrent clients for ${SECONDS} s (profiler on: numbers are higher than without it)`);
  console.log(`  ${result.perSecond.toFixed(0)} requests/s, p99 ${result.p99.toFixed(1)} ms, ${result.errors} errors; server CPU ${(((cpuAfter - cpuBefore) * 1000) / result.count).toFixed(2)} ms per request`);
  printSummary(summary);
  console.log(`  profile: ${profilePath} (open in Chrome DevTools > Performance)`);
}

function profileDuration(file: string): { durationMs: number } {
  const { startTime, endTime } = JSON.parse(readFileSync(file, 'utf8')) as { startTime: number; endTime: number };
  return { durationMs: (endTime - startTime) / 1000 };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
