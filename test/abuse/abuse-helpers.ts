import { Redis } from 'ioredis';

/** A Redis key prefix of its own for one abuse-test server, so that its counters start at zero. */
export function uniquePrefix(name: string): string {
  return `abuse-test:${process.pid}:${name}:${Date.now()}:`;
}

/** Deletes the keys this run created under `prefix` (the shared Redis is never flushed). */
export async function deleteKeys(prefix: string): Promise<void> {
  if (!process.env.REDIS_URL) return;
  const redis = new Redis(process.env.REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Milliseconds `work` took. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}
