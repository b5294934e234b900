import { randomUUID } from 'node:crypto';
import {
  MarkReadDocument,
  MessageReadDocument,
  MessageReceivedDocument,
  PresenceChangedDocument,
  SendMessageDocument,
  SetTypingDocument,
  TypingDocument,
} from '../generated/graphql';
import { startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, describeWithRedis, waitForSubscriptions, wsUrl } from './realtime-helpers';

/** Two instances sharing PostgreSQL and Redis: whatever happens on one reaches clients of the other. */

describeWithRedis('two instances sharing PostgreSQL and Redis', () => {
  let a: TestServer;
  let b: TestServer;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    const env = { REDIS_PREFIX: `test:${randomUUID()}:`, PRESENCE_GRACE_MS: '300' };
    [a, b] = await Promise.all([startTestServer(env), startTestServer(env)]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  function connect(server: TestServer, token: string, lazy = true): RealtimeClient {
    const client = new RealtimeClient(wsUrl(server), token, { lazy });
    clients.push(client);
    return client;
  }

  test('a client on A receives what is sent through B, with the sender id', async () => {
    const { ana, bo, conversationId } = await conversationPair(a);
    const onA = connect(a, bo.token);
    const stream = onA.subscribe(MessageReceivedDocument, { conversationId });
    const inbox = onA.subscribe(MessageReceivedDocument, {});
    await waitForSubscriptions(a, 'messageReceived', 2);

    const sent = await b.request(SendMessageDocument, { input: { conversationId, content: 'via B' } }, ana.token);
    expect(sent.errors).toBeUndefined();
    for (const received of [await stream.next(), await inbox.next()]) {
      expect(received.messageReceived).toMatchObject({ id: sent.data!.sendMessage.id, content: 'via B', sender: { id: ana.id } });
    }
  });

  test('typing, read receipts and presence cross instances too', async () => {
    const { ana, bo, conversationId } = await conversationPair(a);
    await b.request(SendMessageDocument, { input: { conversationId, content: 'hi' } }, ana.token);
    const onA = connect(a, bo.token);
    const typing = onA.subscribe(TypingDocument, { conversationId });
    const receipts = onA.subscribe(MessageReadDocument, { conversationId });
    const presence = onA.subscribe(PresenceChangedDocument, {});
    await waitForSubscriptions(a, 'presenceChanged', 1);
    await waitForSubscriptions(a, 'typing', 1);
    await waitForSubscriptions(a, 'messageRead', 1);

    const anaOnB = connect(b, ana.token, false);
    expect((await presence.next()).presenceChanged).toMatchObject({ userId: ana.id, status: 'ONLINE' });
    await b.request(SetTypingDocument, { conversationId, isTyping: true }, ana.token);
    expect((await typing.next()).typing).toEqual({ conversationId, userId: ana.id, isTyping: true });
    await b.request(MarkReadDocument, { input: { conversationId } }, bo.token);
    expect((await receipts.next()).messageRead).toMatchObject({ conversationId, readerId: bo.id });

    await anaOnB.dispose();
    expect((await presence.next()).presenceChanged).toMatchObject({ userId: ana.id, status: 'OFFLINE' });
  });
});
