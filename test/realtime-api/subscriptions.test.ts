import { onQuery } from '../../src/db/orm';
import { topics } from '../../src/realtime/topics';
import {
  ArchiveConversationDocument,
  ConversationEventsDocument,
  MarkReadDocument,
  MeDocument,
  MessageReadDocument,
  MessageReceivedDocument,
  MessageReceivedLeanDocument,
  SendMessageDocument,
  StartConversationDocument,
  TypingDocument,
} from '../generated/graphql';
import { QUIET_BACKGROUND, actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, metricValue, sleep, waitForSubscriptions, waitUntil, wsUrl } from './realtime-helpers';

/** The Subscription type over real graphql-ws sockets, on one instance (in-process or Redis pub/sub). */

const MAX_OPERATIONS = 4;
let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ ...QUIET_BACKGROUND, WS_MAX_SUBSCRIPTIONS_PER_SOCKET: String(MAX_OPERATIONS) });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await waitUntil(async () => (await metricValue(server, 'ws_active_subscriptions')) === 0, 'subscriptions to end');
});
afterAll(() => server.stop());

function connect(who: Actor): RealtimeClient {
  const client = new RealtimeClient(wsUrl(server), who.token);
  clients.push(client);
  return client;
}

function send(who: Actor, conversationId: string, content: string) {
  return server.request(SendMessageDocument, { input: { conversationId, content } }, who.token);
}

describe('messageReceived', () => {
  test('user 1 sends, user 2 receives it with the sender, in the conversation and in the inbox', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const inConversation = connect(bo).subscribe(MessageReceivedDocument, { conversationId });
    const boInbox = connect(bo).subscribe(MessageReceivedDocument, {});
    const anaInbox = connect(ana).subscribe(MessageReceivedDocument, {});
    await waitForSubscriptions(server, 'messageReceived', 3);

    const sent = await send(ana, conversationId, 'hello Bo');
    expect(sent.errors).toBeUndefined();

    for (const stream of [inConversation, boInbox, anaInbox]) {
      const { messageReceived } = await stream.next();
      expect(messageReceived).toMatchObject({
        id: sent.data!.sendMessage.id,
        conversationId,
        sequence: 1,
        type: 'TEXT',
        content: 'hello Bo',
        sender: { id: ana.id, displayName: 'Ana' },
        createdAt: sent.data!.sendMessage.createdAt,
      });
    }
  });

  test('an outsider gets NOT_FOUND, as over HTTP, and nothing of the conversation', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const eve = await actor(server, 'Eve');
    const eveClient = connect(eve);
    const denied = eveClient.subscribe(MessageReceivedDocument, { conversationId });
    expect(await denied.errorCodes()).toEqual(['NOT_FOUND']);
    const unknown = eveClient.subscribe(MessageReceivedDocument, { conversationId: '00000000-0000-4000-8000-000000000000' });
    expect(await unknown.errorCodes()).toEqual(['NOT_FOUND']);
    expect((await eveClient.subscribe(TypingDocument, { conversationId }).errorCodes())).toEqual(['NOT_FOUND']);
    expect((await eveClient.subscribe(MessageReadDocument, { conversationId }).errorCodes())).toEqual(['NOT_FOUND']);

    const eveInbox = eveClient.subscribe(MessageReceivedDocument, {});
    await waitForSubscriptions(server, 'messageReceived', 1);
    await send(ana, conversationId, 'not for Eve');
    await sleep(300);
    expect(eveInbox.values).toEqual([]);
    expect(denied.values).toEqual([]);
  });

  test('afterSequence without a conversation is BAD_USER_INPUT', async () => {
    const { bo } = await conversationPair(server);
    const stream = connect(bo).subscribe(MessageReceivedDocument, { afterSequence: 0 });
    expect(await stream.errorCodes()).toEqual(['BAD_USER_INPUT']);
  });

  test('afterSequence replays the stored messages, then goes live', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    for (const content of ['one', 'two', 'three']) await send(ana, conversationId, content);
    const stream = connect(bo).subscribe(MessageReceivedDocument, { conversationId, afterSequence: 1 });
    await stream.count(2);
    await send(bo, conversationId, 'four');
    const values = await stream.count(3);
    expect(values.map((v) => [v.messageReceived.sequence, v.messageReceived.content])).toEqual([
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
    ]);
  });

  test('an event whose selection the payload covers runs no SQL', async () => {
    const { bo, conversationId } = await conversationPair(server);
    const stream = connect(bo).subscribe(MessageReceivedLeanDocument, { conversationId });
    await waitForSubscriptions(server, 'messageReceived', 1);
    let statements = 0;
    // Earlier sends finish after their answers (push decision, then the outbox acknowledgement 20 ms later).
    await server.service.app.services.notifications.idle();
    await sleep(100);
    const stop = onQuery(() => (statements += 1));
    try {
      await server.service.pubsub.publish(topics.conversationMessages(conversationId), {
        id: '11111111-1111-4111-8111-111111111111',
        conversationId,
        sequence: 7,
        type: 'TEXT' as never,
        senderId: bo.id,
        content: 'straight from the payload',
        metadata: {},
        clientMessageId: null,
        createdAt: new Date().toISOString(),
        deliveredAt: null,
        readAt: null,
        sender: null,
        image: null,
        participantIds: [bo.id, bo.id],
        committedAt: Date.now(),
      });
      const { messageReceived } = await stream.next();
      expect(messageReceived).toMatchObject({ sequence: 7, content: 'straight from the payload' });
    } finally {
      stop();
    }
    expect(statements).toBe(0);
    expect(await metricValue(server, 'message_delivery_latency_seconds_count')).toBeGreaterThan(0);
  });
});

describe('messageRead', () => {
  test('markRead sends one receipt to both participants per call that marked something', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const first = await send(ana, conversationId, 'read me');
    await send(ana, conversationId, 'and me');
    const anaReceipts = connect(ana).subscribe(MessageReadDocument, { conversationId });
    const boInbox = connect(bo).subscribe(MessageReadDocument, {});
    await waitForSubscriptions(server, 'messageRead', 2);

    const marked = await server.request(MarkReadDocument, { input: { conversationId } }, bo.token);
    expect(marked.data!.markRead.messageIds).toHaveLength(2);
    await server.request(MarkReadDocument, { input: { conversationId } }, bo.token); // marks nothing

    for (const stream of [anaReceipts, boInbox]) {
      const { messageRead } = await stream.next();
      expect(messageRead).toMatchObject({ conversationId, readerId: bo.id });
      expect([...messageRead.messageIds].sort()).toEqual([...marked.data!.markRead.messageIds].sort());
      expect(messageRead.messageIds).toContain(first.data!.sendMessage.id);
    }
    await sleep(300);
    expect(anaReceipts.values).toHaveLength(1);
    expect(boInbox.values).toHaveLength(1);
  });
});

describe('conversationEvent', () => {
  test('both participants hear of a new conversation and of its archiving', async () => {
    const [ana, bo] = await Promise.all([actor(server, 'Ana'), actor(server, 'Bo')]);
    await server.request(MeDocument, {}, bo.token);
    const anaEvents = connect(ana).subscribe(ConversationEventsDocument, {});
    const boEvents = connect(bo).subscribe(ConversationEventsDocument, {});
    await waitForSubscriptions(server, 'conversationEvent', 2);

    const started = await server.request(StartConversationDocument, { input: { participantId: bo.id } }, ana.token);
    const conversationId = started.data!.startConversation.id;
    await server.request(ArchiveConversationDocument, { id: conversationId }, bo.token);

    for (const [stream, other] of [
      [anaEvents, bo],
      [boEvents, ana],
    ] as const) {
      const created = await stream.next();
      expect(created.conversationEvent).toMatchObject({ kind: 'CREATED', conversation: { id: conversationId, status: 'ACTIVE' } });
      const archived = await stream.next();
      expect(archived.conversationEvent).toMatchObject({
        kind: 'ARCHIVED',
        conversation: { id: conversationId, status: 'ARCHIVED', otherParticipant: { id: other.id } },
      });
      expect(archived.conversationEvent.conversation.archivedAt).toEqual(expect.any(String));
    }
  });
});

describe('limits over the socket', () => {
  test('the HTTP validation rules apply: a too deep subscription is refused with BAD_USER_INPUT', async () => {
    const { bo, conversationId } = await conversationPair(server);
    const client = connect(bo);
    let inner = 'id';
    for (let i = 0; i < 12; i += 1) inner = `${i % 2 === 0 ? 'lastMessage' : 'conversation'} { ${inner} }`;
    const deep = client.subscribeRaw(`subscription Deep { messageReceived(conversationId: "${conversationId}") { conversation { ${inner} } } }`);
    const codes = await deep.errorCodes();
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((code) => code === 'BAD_USER_INPUT')).toBe(true);
    expect(deep.errors.map((e) => e.message).join('\n')).toMatch(/depth limit of 10 exceeded/i);
    expect(deep.values).toEqual([]);
    const typo = client.subscribeRaw('subscription { messageReceivd { id } }');
    expect(await typo.errorCodes()).toEqual(['BAD_USER_INPUT']);
  });

  test(`at most ${MAX_OPERATIONS} operations run at once on one socket`, async () => {
    const { bo, conversationId } = await conversationPair(server);
    const client = connect(bo);
    for (let i = 0; i < MAX_OPERATIONS; i += 1) client.subscribe(MessageReceivedDocument, { conversationId });
    await waitForSubscriptions(server, 'messageReceived', MAX_OPERATIONS);
    const refused = client.subscribe(MessageReceivedDocument, { conversationId });
    expect(await refused.errorCodes()).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors[0].extensions).toMatchObject({ reason: 'TOO_MANY_OPERATIONS' });
  });
});
