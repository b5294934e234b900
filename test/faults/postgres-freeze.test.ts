import type { ServerProcess } from '../../bench/lib';
import { SendMessageDocument } from '../generated/graphql';
import { waitUntil } from '../realtime-api/realtime-helpers';
import { alive, gql, pairOn, readyz, startFaultServer } from './fault-helpers';
import { hasPostgresBinaries, OwnPostgres } from './own-postgres';
import { hasRedisServer, OwnRedis } from './own-redis';

/**
 * Fault 4: the database freezes (SIGSTOP to every process of a cluster of the test's own: it
 * accepts TCP connections and answers nothing). /readyz answers 503 within 2 s, a send fails
 * within its statement timeout instead of hanging, and both recover when the database thaws.
 */
(hasPostgresBinaries() && hasRedisServer ? describe : describe.skip)('a frozen PostgreSQL', () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  let server: ServerProcess;

  beforeAll(async () => {
    postgres = await OwnPostgres.start();
    redis = await OwnRedis.create();
    await redis.start();
    server = await startFaultServer('postgres-freeze', postgres.url(), redis.url, { LOG_LEVEL: 'fatal', DATABASE_STATEMENT_TIMEOUT_MS: '2000' });
  }, 120_000);
  afterAll(async () => {
    postgres?.thaw();
    if (server && alive(server)) await server.stop();
    await redis?.kill();
    await postgres?.destroy();
  });

  test('/readyz says 503 within 2 s and a send fails within its timeout; both recover after the thaw', async () => {
    await waitUntil(async () => (await readyz(server)).status === 200, 'the server to be ready', 20_000);
    const { ana, conversationId } = await pairOn(server);

    postgres.freeze();
    try {
      for (let probe = 0; probe < 3; probe += 1) {
        const answer = await readyz(server, 10_000);
        expect(answer.status).toBe(503);
        expect(answer.ms).toBeLessThan(2000);
      }
      const started = Date.now();
      const sent = await gql(server, SendMessageDocument, { input: { conversationId, content: 'into the freeze' } }, ana.token);
      const tookMs = Date.now() - started;
      expect(sent.errors?.length).toBeGreaterThan(0);
      // DATABASE_STATEMENT_TIMEOUT_MS=2000: the client gives up at 3 s; never the 15 s of before.
      expect(tookMs).toBeLessThan(5000);
      expect(alive(server)).toBe(true);
    } finally {
      postgres.thaw();
    }

    await waitUntil(async () => (await readyz(server)).status === 200, '/readyz to say 200 after the thaw', 20_000);
    const after = await gql(server, SendMessageDocument, { input: { conversationId, content: 'after the thaw' } }, ana.token);
    expect(after.errors).toBeUndefined();
  }, 90_000);
});
