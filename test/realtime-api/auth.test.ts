import { WebSocket } from 'ws';
import { MessageReceivedDocument } from '../generated/graphql';
import { actor, startTestServer, TEST_JWT_SECRET, type TestServer } from '../helpers/test-server';
import { signDevToken } from '../../src/auth/token-issuer';
import { RealtimeClient, conversationPair, metricValue, waitForSubscriptions, waitUntil, wsUrl } from './realtime-helpers';

/** Identity over graphql-ws (CONTRACT.md "Identity"): 4401 before anything runs, and when the token expires. */

const MAX_SOCKETS_PER_USER = 2;
let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ WS_MAX_SOCKETS_PER_USER: String(MAX_SOCKETS_PER_USER), WS_CONNECTION_INIT_TIMEOUT_MS: '300' });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(() => server.stop());

function connect(token: string | null): RealtimeClient {
  const client = new RealtimeClient(wsUrl(server), token, { lazy: false });
  clients.push(client);
  return client;
}

describe('connection_init', () => {
  test.each([
    ['no token', null],
    ['a malformed token', 'not-a-jwt'],
    ['a token signed with another key', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.3ZQ8bV8I8p6a0Cq7oTqv6l9Hq2aKXz7v9H1m1n3b4c8'],
  ])('with %s the socket closes with 4401', async (_label, token) => {
    const client = connect(token);
    expect((await client.closed()).code).toBe(4401);
  });

  test('an expired token closes the socket with 4401 before any subscription starts', async () => {
    const expired = await signDevToken(TEST_JWT_SECRET, { sub: (await actor(server, 'Old')).id, ttl: '10s ago' });
    const client = connect(expired);
    const stream = client.subscribe(MessageReceivedDocument, {});
    expect(await client.closed()).toMatchObject({ code: 4401, reason: 'The token has expired' });
    expect(stream.values).toEqual([]);
  });

  test('a client that never sends connection_init is closed with 4408', async () => {
    const socket = new WebSocket(wsUrl(server), 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4408);
  });

  test('messages over the payload cap close the socket with 1009', async () => {
    const { ana } = await conversationPair(server);
    const socket = new WebSocket(wsUrl(server), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ana.token}`, padding: 'x'.repeat(70 * 1024) } }));
    expect(await closed).toBe(1009);
  });
});

describe('open sockets', () => {
  test('the socket closes with 4401 when its token expires, so that the client reconnects with a fresh one', async () => {
    const { bo, conversationId } = await conversationPair(server);
    const shortLived = await server.token(bo.id, { ttl: '2s' });
    const client = connect(shortLived);
    const stream = client.subscribe(MessageReceivedDocument, { conversationId });
    await waitForSubscriptions(server, 'messageReceived', 1);
    const started = Date.now();
    expect(await client.closed(4000)).toEqual({ code: 4401, reason: 'Token expired' });
    expect(Date.now() - started).toBeLessThanOrEqual(2500);
    expect(stream.failure).not.toBeNull();
  });

  test(`one user may hold ${MAX_SOCKETS_PER_USER} sockets on an instance; the next is closed with 4029`, async () => {
    const { ana } = await conversationPair(server);
    const before = await metricValue(server, 'ws_open_sockets');
    const allowed = Array.from({ length: MAX_SOCKETS_PER_USER }, () => connect(ana.token));
    for (const client of allowed) client.subscribe(MessageReceivedDocument, {});
    await waitForSubscriptions(server, 'messageReceived', MAX_SOCKETS_PER_USER);
    const refused = connect(ana.token);
    expect((await refused.closed()).code).toBe(4029);
    expect(allowed.every((client) => client.closes.length === 0)).toBe(true);

    await allowed[0].dispose();
    await waitUntil(async () => (await metricValue(server, 'ws_open_sockets')) === before + 1, 'the socket count to drop');
    const again = connect(ana.token);
    again.subscribe(MessageReceivedDocument, {});
    await waitForSubscriptions(server, 'messageReceived', MAX_SOCKETS_PER_USER);
    expect(again.closes).toEqual([]);
  });
});
