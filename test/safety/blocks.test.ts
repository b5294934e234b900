import { randomUUID } from 'node:crypto';
import { ConversationEventsDocument, PresenceChangedDocument, TypingDocument } from '../generated/graphql';
import { actor, codes, startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, describeWithRedis, sleep, waitForSubscriptions, wsUrl } from '../realtime-api/realtime-helpers';
import { BLOCK, BLOCKED_USERS, CONVERSATIONS, gql, MESSAGES, REACT, reasonOf, SEND, START, TYPING, UNBLOCK, UNREACT } from './gql';

/** Blocks (CONTRACT.md "Blocking, reports and detection") on two instances sharing PostgreSQL and Redis. */
describeWithRedis('blocks', () => {
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

  test('blockUser: self is BAD_USER_INPUT, an unknown user NOT_FOUND, a repeat is idempotent', async () => {
    const { ana, bo } = await conversationPair(a);
    expect(codes(await gql(a, BLOCK, { userId: ana.id }, ana.token))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(a, BLOCK, { userId: randomUUID() }, ana.token))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(a, BLOCK, { userId: 'nope' }, ana.token))).toEqual(['NOT_FOUND']);
    for (let i = 0; i < 2; i++) expect((await gql(a, BLOCK, { userId: bo.id }, ana.token)).data).toEqual({ blockUser: { id: bo.id } });
    expect((await gql(a, BLOCKED_USERS, {}, ana.token)).data).toEqual({ blockedUsers: [{ id: bo.id }] });
    expect((await gql(a, BLOCKED_USERS, {}, bo.token)).data).toEqual({ blockedUsers: [] });
  });

  test.each(['blocker', 'blocked'] as const)('the %s can neither send, type nor start a conversation, on either instance; history stays', async (who) => {
    const { ana, bo, conversationId } = await conversationPair(a);
    const before = await gql(a, SEND, { input: { conversationId, content: 'before the block' } }, ana.token);
    expect(before.errors).toBeUndefined();
    await gql(a, BLOCK, { userId: bo.id }, ana.token);
    const caller = who === 'blocker' ? ana : bo;
    const other = who === 'blocker' ? bo : ana;
    for (const server of [a, b]) {
      const sent = await gql(server, SEND, { input: { conversationId, content: 'after', clientMessageId: randomUUID() } }, caller.token);
      expect([codes(sent), reasonOf(sent)]).toEqual([['FORBIDDEN'], 'BLOCKED']);
      const typed = await gql(server, TYPING, { conversationId, isTyping: true }, caller.token);
      expect([codes(typed), reasonOf(typed)]).toEqual([['FORBIDDEN'], 'BLOCKED']);
      for (const jobApplicationId of [null, `job-${randomUUID()}`]) {
        const started = await gql(server, START, { input: { participantId: other.id, jobApplicationId } }, caller.token);
        expect([codes(started), reasonOf(started)]).toEqual([['FORBIDDEN'], 'BLOCKED']);
      }
    }
    const history = await gql<{ conversation: { messages: { edges: { node: { content: string } }[] } } }>(a, MESSAGES, { id: conversationId }, caller.token);
    expect(history.data!.conversation.messages.edges.map((edge) => edge.node.content)).toEqual(['before the block']);
  });

  test.each(['blocker', 'blocked'] as const)('the %s cannot add a reaction, on either instance; nothing is stored or revised', async (who) => {
    const { ana, bo, conversationId } = await conversationPair(a);
    const sent = await gql<{ sendMessage: { id: string } }>(a, SEND, { input: { conversationId, content: 'react to me' } }, bo.token);
    const messageId = sent.data!.sendMessage.id;
    const caller = who === 'blocker' ? ana : bo;
    const kept = await gql(a, REACT, { messageId, emoji: '👍' }, caller.token);
    expect(kept.errors).toBeUndefined();
    await gql(a, BLOCK, { userId: bo.id }, ana.token);
    for (const server of [a, b]) {
      const reacted = await gql(server, REACT, { messageId, emoji: '🎉' }, caller.token);
      expect([codes(reacted), reasonOf(reacted)]).toEqual([['FORBIDDEN'], 'BLOCKED']);
    }
    const rows = await a.service.orm.em
      .getConnection()
      .execute('select m.revision, array_agg(r.emoji) as emoji from messages m left join message_reactions r on r.message_id = m.id where m.id = ? group by m.revision', [messageId]);
    expect(rows).toEqual([{ revision: 1, emoji: ['👍'] }]);
    // Taking one's own reaction back is not a new interaction: the contract does not refuse it.
    const removed = await gql<{ removeReaction: { reactions: unknown[] } }>(a, UNREACT, { messageId, emoji: '👍' }, caller.token);
    expect(removed.data!.removeReaction.reactions).toEqual([]);
  });

  test('isBlocked and blockedByViewer tell each side why; unblockUser lifts only the own block', async () => {
    const { ana, bo, conversationId } = await conversationPair(a);
    const view = async (token: string) => {
      const result = await gql<{ conversations: { edges: { node: { id: string; isBlocked: boolean; blockedByViewer: boolean } }[] } }>(a, CONVERSATIONS, {}, token);
      return result.data!.conversations.edges.map((edge) => edge.node).find((node) => node.id === conversationId);
    };
    expect(await view(ana.token)).toMatchObject({ isBlocked: false, blockedByViewer: false });
    await gql(a, BLOCK, { userId: bo.id }, ana.token);
    await gql(a, BLOCK, { userId: ana.id }, bo.token);
    expect(await view(ana.token)).toMatchObject({ isBlocked: true, blockedByViewer: true });
    await gql(a, UNBLOCK, { userId: ana.id }, bo.token);
    expect(await view(bo.token)).toMatchObject({ isBlocked: true, blockedByViewer: false });
    const stillBlocked = await gql(a, SEND, { input: { conversationId, content: 'x' } }, bo.token);
    expect(reasonOf(stillBlocked)).toBe('BLOCKED');
    await gql(b, UNBLOCK, { userId: bo.id }, ana.token);
    expect(await view(bo.token)).toMatchObject({ isBlocked: false, blockedByViewer: false });
    expect((await gql(a, SEND, { input: { conversationId, content: 'again' } }, bo.token)).errors).toBeUndefined();
  });

  test('a block and an unblock are a conversationEvent UPDATED for both sides, on every instance; a repeat is none', async () => {
    const { ana, bo, conversationId } = await conversationPair(a);
    const anaEvents = connect(a, ana.token).subscribe(ConversationEventsDocument, {});
    const boEvents = connect(b, bo.token).subscribe(ConversationEventsDocument, {});
    await waitForSubscriptions(a, 'conversationEvent', 1);
    await waitForSubscriptions(b, 'conversationEvent', 1);
    await gql(b, BLOCK, { userId: ana.id }, bo.token);
    for (const events of [anaEvents, boEvents]) {
      expect((await events.next()).conversationEvent).toMatchObject({ kind: 'UPDATED', conversation: { id: conversationId } });
    }
    await gql(b, BLOCK, { userId: ana.id }, bo.token);
    await gql(a, UNBLOCK, { userId: ana.id }, bo.token);
    for (const events of [anaEvents, boEvents]) {
      expect((await events.next()).conversationEvent).toMatchObject({ kind: 'UPDATED', conversation: { id: conversationId } });
    }
    await sleep(300);
    expect([anaEvents.values.length, boEvents.values.length]).toEqual([2, 2]);
  });

  test('a blocked pair sees no presence or typing of each other across instances', async () => {
    const { ana, bo, conversationId } = await conversationPair(a);
    const carol = await actor(a, 'Carol');
    await gql(a, 'query { me { id } }', {}, carol.token);
    const third = await gql<{ startConversation: { id: string } }>(a, START, { input: { participantId: bo.id } }, carol.token);
    const boOnA = connect(a, bo.token);
    const presence = boOnA.subscribe(PresenceChangedDocument, {});
    const typing = boOnA.subscribe(TypingDocument, { conversationId });
    await waitForSubscriptions(a, 'presenceChanged', 1);
    await waitForSubscriptions(a, 'typing', 1);
    // Bo blocks Ana through the other instance.
    await gql(b, BLOCK, { userId: ana.id }, bo.token);

    connect(b, ana.token, false);
    const typed = await gql(b, TYPING, { conversationId, isTyping: true }, ana.token);
    expect(reasonOf(typed)).toBe('BLOCKED');
    // Carol, not blocked, still shows: her event arrives and Ana's never did.
    connect(b, carol.token, false);
    expect((await presence.next()).presenceChanged).toMatchObject({ userId: carol.id, status: 'ONLINE' });
    await sleep(300);
    expect(presence.values.map((value) => value.presenceChanged.userId)).toEqual([carol.id]);
    expect(typing.values).toEqual([]);

    const list = await gql<{ conversations: { edges: { node: { id: string; otherParticipant: { presence: unknown } } }[] } }>(a, CONVERSATIONS, {}, bo.token);
    const byId = new Map(list.data!.conversations.edges.map((edge) => [edge.node.id, edge.node.otherParticipant.presence]));
    expect(byId.get(conversationId)).toEqual({ status: 'OFFLINE', lastSeenAt: null });
    expect(byId.get(third.data!.startConversation.id)).toEqual({ status: 'ONLINE', lastSeenAt: null });
  });
});
