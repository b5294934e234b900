import net from 'node:net';
import { Redis } from 'ioredis';
import { DomainError } from '../../src/errors';
import { MessageRateLimiter } from '../../src/services/rate-limiter';
import { describeWithRedis } from '../helpers/test-server';
import { deleteKeys, timed, uniquePrefix } from './abuse-helpers';

/**
 * Attack 9 (docs/reliability.md): the send limit was a fixed window from the first message, so
 * 100 sends at the end of one window and 100 at the start of the next passed within minutes.
 * It is a rolling hour now (a sliding log in one Redis script), with the idempotency claim in
 * the same script, and an in-memory insurance log while Redis is unreachable (fault 3).
 */

const MINUTE = 60_000;
const LIMIT = 3;

async function retryAfterOf(attempt: Promise<unknown>): Promise<number> {
  const error = await attempt.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe('RATE_LIMITED');
  return Number((error as DomainError).extensions.retryAfterSeconds);
}

/** The same behaviour with Redis and without it (one instance). */
function rollingHourTests(make: (now: () => number) => MessageRateLimiter) {
  let clock = 1_000_000_000_000;
  const limiter = () => make(() => clock);

  test('a rolling hour: sends leave the window one by one, an hour after each was made', async () => {
    clock = 1_000_000_000_000;
    const limit = limiter();
    const user = `user-${Date.now()}-${Math.random()}`;
    await limit.consume(user);
    clock += 50 * MINUTE;
    await limit.consume(user);
    await limit.consume(user);
    // Ten minutes before the first send leaves: refused for those ten minutes.
    expect(await retryAfterOf(limit.consume(user))).toBe(10 * 60);
    clock += 11 * MINUTE; // 61 minutes after the first send: one place, not a new window of three
    expect(await limit.consume(user)).not.toBeNull();
    expect(await retryAfterOf(limit.consume(user))).toBeGreaterThan(30 * 60);
  });

  test('one idempotency key takes at most one point, even when its retries race', async () => {
    const limit = limiter();
    const user = `user-${Date.now()}-${Math.random()}`;
    const points = await Promise.all(Array.from({ length: 8 }, () => limit.consume(user, 'same-key')));
    expect(points.filter((point) => point !== null)).toHaveLength(1);
    await limit.consume(user);
    await limit.consume(user);
    await expect(limit.consume(user)).rejects.toThrow(DomainError);
    // At the limit, a retry of a counted key is still not refused (the send answers the stored message).
    expect(await limit.consume(user, 'same-key')).toBeNull();
  });

  test('a refused or failed send gives its point back', async () => {
    const limit = limiter();
    const user = `user-${Date.now()}-${Math.random()}`;
    const points = [];
    for (let i = 0; i < LIMIT; i += 1) points.push(await limit.consume(user, `k${i}`));
    await expect(limit.consume(user)).rejects.toThrow(DomainError);
    await limit.refund(points[1]!);
    expect(await limit.consume(user, 'k1')).not.toBeNull();
  });
}

describeWithRedis('rolling hour in Redis', () => {
  const prefix = uniquePrefix('rolling');
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL!, { enableAutoPipelining: true });
    // Not ready yet, the limiter would count in memory and these tests prove nothing of Redis.
    await new Promise((resolve) => redis.once('ready', resolve));
  });
  afterAll(async () => {
    redis.disconnect();
    await deleteKeys(prefix);
  });

  rollingHourTests((now) => MessageRateLimiter.create(LIMIT, redis, `${prefix}rl`, { now }));

  test('the log is in Redis: a second instance sees the first one\'s sends', async () => {
    const user = `user-${Date.now()}`;
    const first = MessageRateLimiter.create(LIMIT, redis, `${prefix}rl`);
    const second = MessageRateLimiter.create(LIMIT, redis, `${prefix}rl`);
    for (let i = 0; i < LIMIT; i += 1) await first.consume(user);
    await expect(second.consume(user)).rejects.toThrow(DomainError);
  });

  test('the claim and the count are one Redis command (docs/performance.md: no round trip added to a send)', async () => {
    const limit = MessageRateLimiter.create(LIMIT, redis, `${prefix}rl`);
    await limit.consume('warm-up', 'k'); // loads the script
    const sent = jest.spyOn(redis, 'sendCommand');
    try {
      await limit.consume(`user-${Date.now()}`, 'a-key');
      expect(sent.mock.calls.map(([command]) => (command as { name: string }).name)).toEqual(['evalsha']);
    } finally {
      sent.mockRestore();
    }
  });
});

describe('rolling hour in memory (no REDIS_URL)', () => {
  rollingHourTests((now) => MessageRateLimiter.create(LIMIT, undefined, 'rl', { now }));
});

describe('Redis unreachable: the insurance log in memory', () => {
  let redis: Redis;
  beforeAll(async () => {
    // A port nobody listens on: every connection attempt is refused.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 200, lazyConnect: false });
    redis.on('error', () => undefined);
  });
  afterAll(() => redis.disconnect());

  test('sends are counted by the instance instead of failing, and nothing waits on Redis', async () => {
    const limit = MessageRateLimiter.create(LIMIT, redis, 'rl:unreachable');
    const tookMs = await timed(async () => {
      for (let i = 0; i < LIMIT; i += 1) expect(await limit.consume('user', `k${i}`)).not.toBeNull();
    });
    expect(tookMs).toBeLessThan(1500);
    expect(await retryAfterOf(limit.consume('user'))).toBeGreaterThan(0);
  });
});
