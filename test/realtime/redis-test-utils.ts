import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';

/** Real Redis, never a mock: REDIS_URL, or the local default. */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const silentLogger = pino({ level: 'silent' });

/**
 * Whether Redis answers, decided synchronously (a child process pings it) so that a suite can
 * be registered as `describe.skip` with a reason instead of failing on a missing server.
 */
function redisReachable(): boolean {
  const probe = `
    const { Redis } = require(process.argv[1]);
    const redis = new Redis(process.argv[2], { lazyConnect: true, connectTimeout: 1500, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {});
    redis.connect().then(() => redis.ping()).then(() => process.exit(0), () => process.exit(1));
  `;
  const result = spawnSync(process.execPath, ['-e', probe, require.resolve('ioredis'), redisUrl], { timeout: 5000 });
  return result.status === 0;
}

const reachable = redisReachable();
if (!reachable) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: Redis at ${redisUrl} is unreachable; start it or set REDIS_URL to run the realtime Redis tests.`);
}

/** `describe` when Redis is reachable, `describe.skip` otherwise. */
export const describeWithRedis = reachable ? describe : describe.skip;

/** A key / channel prefix no other test run shares. */
export function uniquePrefix(): string {
  return `test:${process.pid}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export function newRedis(): Redis {
  return new Redis(redisUrl);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** The next value of `iterator`, or a rejection after `timeoutMs`. */
export async function nextWithin<T>(iterator: AsyncIterator<T>, timeoutMs = 2000): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([iterator.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
