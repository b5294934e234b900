import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { ServerProcess } from '../../bench/lib';
import { SendMessageDocument } from '../generated/graphql';
import { metricValue, sleep, waitUntil } from '../realtime-api/realtime-helpers';
import { alive, gql, pairOn, readyz, startFaultServer } from './fault-helpers';
import { hasPostgresBinaries, OwnPostgres } from './own-postgres';
import { hasRedisServer, OwnRedis } from './own-redis';

/**
 * Fault 2, the part the outbox left out: a committed message whose publish fails (Redis went
 * away between commit and publish) still gets its push decision at once, since push is then
 * the one channel that reaches the recipient; the outbox row remembers it, and the relay,
 * which publishes the row once Redis is back, does not decide a second time.
 */
(hasPostgresBinaries() && hasRedisServer ? describe : describe.skip)('a publish that fails after the commit', () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  let server: ServerProcess;
  let db: Client;

  beforeAll(async () => {
    postgres = await OwnPostgres.start();
    redis = await OwnRedis.create();
    await redis.start();
    server = await startFaultServer('push-without-redis', postgres.url(), redis.url, {
      LOG_LEVEL: 'fatal',
      NODE_ENV: 'test',
      TEST_HOLD_AFTER_COMMIT_MS: '1500',
      OUTBOX_LEASE_MS: '8000',
      OUTBOX_SWEEP_MS: '200',
    });
    await waitUntil(async () => (await readyz(server)).status === 200, 'the server to be ready', 20_000);
    db = new Client({ connectionString: postgres.url() });
    await db.connect();
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    if (server && alive(server)) await server.stop();
    await redis?.kill();
    await postgres?.destroy();
  });

  test('the push decision is taken while Redis is away, and only once', async () => {
    const { ana, conversationId } = await pairOn(server); // Bo has no socket: offline
    const decisions = () => metricValue(server.url, 'push_notifications_total', { type: 'NEW_MESSAGE' });
    const before = await decisions();
    const clientMessageId = randomUUID();
    const answer = gql(server, SendMessageDocument, { input: { conversationId, content: 'while Redis goes', clientMessageId } }, ana.token);
    await waitUntil(async () => (await db.query('select 1 from messages where client_message_id = $1', [clientMessageId])).rowCount === 1, 'the send to commit');
    await redis.kill(); // before the publish (held 1.5 s after the commit)

    await waitUntil(async () => (await decisions()) === before + 1, 'the push decision while Redis is down', 10_000);
    const outboxRow = async () => (await db.query<{ push_decided: boolean }>('select o.push_decided from outbox o join messages m on m.id = o.message_id where m.client_message_id = $1', [clientMessageId])).rows[0];
    await waitUntil(async () => (await outboxRow())?.push_decided === true, 'the outbox row to remember the decision');
    expect((await answer).data?.sendMessage.clientMessageId).toBe(clientMessageId); // committed: the sender is answered

    await redis.start();
    await waitUntil(async () => (await outboxRow()) === undefined, 'the relay to publish and acknowledge the row', 20_000);
    await sleep(500);
    expect(await decisions()).toBe(before + 1);
  }, 60_000);
});
