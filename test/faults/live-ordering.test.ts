import type { ServerProcess } from '../../bench/lib';
import { MessageReceivedLeanDocument, SendMessageDocument } from '../generated/graphql';
import { RealtimeClient, waitForSubscriptions, waitUntil, wsUrl } from '../realtime-api/realtime-helpers';
import { alive, gql, pairOn, readyz, startFaultServer } from './fault-helpers';
import { hasPostgresBinaries, OwnPostgres } from './own-postgres';
import { hasRedisServer, OwnRedis } from './own-redis';

/**
 * Fault 7, decided as documented in docs/realtime.md ("Ordering"): with concurrent senders the
 * live-only forms of messageReceived (no afterSequence; the inbox) deliver in publish order,
 * which may differ from sequence order, and clients place each message by its `sequence`; the
 * afterSequence form delivers in sequence order. What a client relies on is tested here: every
 * form delivers each message exactly once, the live-only ones sort into exactly the ordered
 * history by `sequence`, and the afterSequence form is in order as delivered.
 */
(hasPostgresBinaries() && hasRedisServer ? describe : describe.skip)('live deliveries under concurrent senders', () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  let server: ServerProcess;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    postgres = await OwnPostgres.start();
    redis = await OwnRedis.create();
    await redis.start();
    server = await startFaultServer('live-ordering', postgres.url(), redis.url, { LOG_LEVEL: 'error', RATE_LIMIT_MESSAGES_PER_HOUR: '100000' });
    await waitUntil(async () => (await readyz(server)).status === 200, 'the server to be ready', 20_000);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    if (server && alive(server)) await server.stop();
    await redis?.kill();
    await postgres?.destroy();
  });

  test('each form delivers every message once; sorted by sequence the live ones are the history', async () => {
    const { ana, bo, conversationId } = await pairOn(server);
    const subscribe = (token: string, variables: { conversationId?: string; afterSequence?: number }) => {
      const client = new RealtimeClient(wsUrl(server.url), token);
      clients.push(client);
      return client.subscribe(MessageReceivedLeanDocument, variables);
    };
    const liveOnly = subscribe(bo.token, { conversationId });
    const inbox = subscribe(bo.token, {});
    const resuming = subscribe(ana.token, { conversationId, afterSequence: 0 });
    await waitForSubscriptions(server.url, 'messageReceived', 3);

    const perSender = 25;
    const sendAll = (token: string, who: string) =>
      Promise.all(Array.from({ length: perSender }, (_, i) => gql(server, SendMessageDocument, { input: { conversationId, content: `${who}${i}` } }, token)));
    const answers = (await Promise.all([sendAll(ana.token, 'a'), sendAll(bo.token, 'b')])).flat();
    expect(answers.flatMap((answer) => answer.errors ?? [])).toEqual([]);
    const total = perSender * 2;
    const history = Array.from({ length: total }, (_, i) => i + 1);

    const sequences = async (stream: typeof liveOnly) => (await stream.count(total, 15_000)).map((value) => value.messageReceived.sequence);
    const [live, fromInbox, resumed] = [await sequences(liveOnly), await sequences(inbox), await sequences(resuming)];
    expect(resumed).toEqual(history); // in order as delivered
    for (const delivered of [live, fromInbox]) {
      expect(delivered).toHaveLength(total); // once each
      expect([...delivered].sort((a, b) => a - b)).toEqual(history); // a client ordering by sequence has the history
    }
  }, 60_000);
});
