import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { ServerProcess } from '../../bench/lib';
import { MessageReceivedDocument, SendMessageDocument } from '../generated/graphql';
import { metricValue, RealtimeClient, sleep, waitForSubscriptions, waitUntil, wsUrl } from '../realtime-api/realtime-helpers';
import { alive, gql, pairOn, readyz, startFaultServer } from './fault-helpers';
import { hasPostgresBinaries, OwnPostgres } from './own-postgres';
import { hasRedisServer, OwnRedis } from './own-redis';

/**
 * Fault 6: a graceful shutdown whose drain (SHUTDOWN_DRAIN_MS) ends while a send is still
 * running between its commit and its publish (TEST_HOLD_AFTER_COMMIT_MS holds it there). The
 * request is cut off, the message stays committed, and the outbox relay of the other instance
 * publishes it and takes its push decision: subscribers get it once.
 */
// Short push batching and job polling: the push decision is a job that runs after the batch
// window, and the test waits for it on the survivor, not for a latency.
const OUTBOX = { OUTBOX_LEASE_MS: '400', OUTBOX_SWEEP_MS: '100', PUSH_BATCH_WINDOW_MS: '200', JOBS_PROCESS_EVERY_MS: '500' };
// The leaving instance's own relay never sweeps: its held send's lease (400 ms) can run out
// before the test has seen the commit and sent SIGTERM (slow under a loaded CI machine), and
// its relay would then publish the row and take the push decision itself, on the instance
// whose metrics die with it. That is correct behaviour (published once either way), but the
// test is about the survivor's relay taking over a cut-off send.
const LEAVING_RELAY_IDLE = { OUTBOX_SWEEP_MS: '600000' };

(hasPostgresBinaries() && hasRedisServer ? describe : describe.skip)('a shutdown that cuts a send off after its commit', () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  let survivor: ServerProcess;
  let leaving: ServerProcess;
  let db: Client;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    postgres = await OwnPostgres.start();
    redis = await OwnRedis.create();
    await redis.start();
    [survivor, leaving] = await Promise.all([
      startFaultServer('shutdown-survivor', postgres.url(), redis.url, { ...OUTBOX, LOG_LEVEL: 'error' }),
      startFaultServer('shutdown-leaving', postgres.url(), redis.url, {
        ...OUTBOX,
        ...LEAVING_RELAY_IDLE,
        LOG_LEVEL: 'fatal', // the cut-off send logs errors once its connections have closed
        NODE_ENV: 'test',
        TEST_HOLD_AFTER_COMMIT_MS: '20000',
        SHUTDOWN_DRAIN_MS: '300',
      }),
    ]);
    await waitUntil(async () => (await readyz(survivor)).status === 200 && (await readyz(leaving)).status === 200, 'both servers to be ready', 20_000);
    db = new Client({ connectionString: postgres.url() });
    await db.connect();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await db?.end();
    for (const server of [survivor, leaving]) if (server && alive(server)) await server.stop();
    await redis?.kill();
    await postgres?.destroy();
  });

  test('the cut-off send is published once by the relay, with its push decision', async () => {
    const { ana, bo, conversationId } = await pairOn(survivor);
    const watcher = new RealtimeClient(wsUrl(survivor.url), bo.token);
    clients.push(watcher);
    const thread = watcher.subscribe(MessageReceivedDocument, { conversationId });
    await waitForSubscriptions(survivor.url, 'messageReceived', 1);
    const decisionsBefore = await metricValue(survivor.url, 'push_notifications_total', { type: 'NEW_MESSAGE' });

    const input = { conversationId, content: 'cut off by the drain', clientMessageId: randomUUID() };
    const answer = gql(leaving, SendMessageDocument, { input }, ana.token).catch(() => null);
    await waitUntil(
      async () => (await db.query('select 1 from messages where client_message_id = $1', [input.clientMessageId])).rowCount === 1,
      'the send to commit',
      10_000,
    );
    const exited = new Promise((resolve) => leaving.child.once('exit', resolve));
    leaving.child.kill('SIGTERM');
    await exited;
    const cut = await answer;
    expect(cut?.data?.sendMessage ?? null).toBeNull(); // the request never got its answer

    const live = await thread.next(10_000);
    expect(live.messageReceived).toMatchObject({ content: input.content, sequence: 1, clientMessageId: input.clientMessageId });
    await waitUntil(
      async () => (await metricValue(survivor.url, 'push_notifications_total', { type: 'NEW_MESSAGE' })) === decisionsBefore + 1,
      'the push decision of the relayed message',
      15_000,
    );
    await waitUntil(async () => (await db.query('select 1 from outbox where message_id is not null')).rowCount === 0, 'the outbox to be empty');
    await sleep(800); // two leases: a second publish would have arrived
    expect(thread.values).toHaveLength(1);
  }, 60_000);
});
