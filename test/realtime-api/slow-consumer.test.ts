import { print } from 'graphql';
import { WebSocket } from 'ws';
import { MessageReceivedLeanDocument, SendMessageDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, metricValue, waitForSubscriptions, waitUntil, wsUrl } from './realtime-helpers';

/**
 * A client that stops reading is closed with 4008 once more than WS_MAX_BUFFERED_BYTES wait
 * unsent on its socket; a healthy client of the same conversation keeps receiving everything.
 */

const MAX_BUFFERED = 64 * 1024;
const SUBSCRIPTIONS = 20;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: String(SUBSCRIPTIONS),
    RATE_LIMIT_MESSAGES_PER_HOUR: '100000',
  });
});
afterAll(() => server.stop());

/** A raw graphql-transport-ws client with `SUBSCRIPTIONS` subscriptions to the conversation. */
async function rawSubscriber(token: string, conversationId: string): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl(server), 'graphql-transport-ws');
  await new Promise((resolve) => socket.once('open', resolve));
  const acked = new Promise<void>((resolve) =>
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve();
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  for (let i = 0; i < SUBSCRIPTIONS; i += 1) {
    socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: print(MessageReceivedLeanDocument), variables: { conversationId } } }));
  }
  return socket;
}

test('a socket that stops reading is closed with 4008 while another client keeps receiving', async () => {
  const { ana, bo, conversationId } = await conversationPair(server);
  const slow = await rawSubscriber(bo.token, conversationId);
  const healthy = new RealtimeClient(wsUrl(server), bo.token);
  const stream = healthy.subscribe(MessageReceivedLeanDocument, { conversationId });
  await waitForSubscriptions(server, 'messageReceived', SUBSCRIPTIONS + 1);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    slow.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

  const content = 'x'.repeat(4000);
  let sent = 0;
  const disconnects = async () => metricValue(server, 'ws_slow_consumer_disconnects_total');
  while ((await disconnects()) === 0) {
    if (sent >= 2000) throw new Error('the slow consumer was never disconnected');
    const batch = Array.from({ length: 8 }, () => server.request(SendMessageDocument, { input: { conversationId, content } }, ana.token));
    const results = await Promise.all(batch);
    expect(results.filter((r) => r.errors)).toEqual([]);
    sent += batch.length;
  }

  // The healthy client got every message, each once.
  await waitUntil(() => stream.values.length >= sent, `the healthy client to receive ${sent} messages (has ${stream.values.length})`, 10_000);
  const sequences = stream.values.map((v) => v.messageReceived.sequence).sort((x, y) => x - y);
  expect(sequences).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  expect(healthy.closes).toEqual([]);

  // Reading again, the slow client finds the close frame behind what was buffered.
  (slow as unknown as { _socket: { resume(): void } })._socket.resume();
  expect(await closed).toEqual({ code: 4008, reason: 'Slow consumer' });
  await healthy.dispose();
}, 30_000);
