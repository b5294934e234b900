/**
 * The typed documents of client/ (what front-end teams use) run against a real server: inside the
 * abuse limits (depth, aliases, cost), with the answers their generated types promise.
 */
import {
  ArchiveConversationDocument,
  ConversationDocument,
  InboxDocument,
  MarkReadDocument,
  MeDocument,
  MessageReceivedDocument,
  MessagesPageDocument,
  NotificationSettingsDocument,
  SendMessageDocument,
  StartConversationDocument,
  UnarchiveConversationDocument,
  UnreadTotalDocument,
} from '../../client/generated/graphql';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { RealtimeClient, waitForSubscriptions, wsUrl } from '../realtime-api/realtime-helpers';

let server: TestServer;
let ana: Actor;
let bo: Actor;

beforeAll(async () => {
  server = await startTestServer();
  [ana, bo] = await Promise.all([actor(server, 'Ana'), actor(server, 'Bo')]);
  for (const user of [ana, bo]) expect((await server.request(MeDocument, {}, user.token)).errors).toBeUndefined();
});
afterAll(() => server.stop());

async function ok<T>(response: Promise<{ data?: T | null; errors?: unknown[] }>): Promise<T> {
  const { data, errors } = await response;
  expect(errors).toBeUndefined();
  return data!;
}

test('inbox, conversation, messages page, send and mark read, as a client would chain them', async () => {
  const { startConversation } = await ok(server.request(StartConversationDocument, { input: { participantId: bo.id } }, ana.token));
  expect(startConversation.otherParticipant.id).toBe(bo.id);
  const conversationId = startConversation.id;

  for (const n of [1, 2, 3]) {
    const { sendMessage } = await ok(server.request(SendMessageDocument, { input: { conversationId, content: `m${n}`, clientMessageId: `c${n}` } }, ana.token));
    expect(sendMessage).toMatchObject({ sequence: n, content: `m${n}`, sender: { id: ana.id, displayName: 'Ana' }, image: null });
  }

  const inbox = await ok(server.request(InboxDocument, { first: 20 }, bo.token));
  expect(inbox.unreadTotal).toBe(3);
  expect(inbox.conversations.edges.map((edge) => edge.node)).toEqual([
    expect.objectContaining({ id: conversationId, unreadCount: 3, otherParticipant: expect.objectContaining({ id: ana.id }), lastMessage: expect.objectContaining({ content: 'm3' }) }),
  ]);

  const { conversation } = await ok(server.request(ConversationDocument, { id: conversationId }, bo.token));
  expect(conversation.participants.map((user) => user.id).sort()).toEqual([ana.id, bo.id].sort());

  const latest = await ok(server.request(MessagesPageDocument, { conversationId, last: 2 }, bo.token));
  expect(latest.conversation.messages.edges.map((edge) => edge.node.content)).toEqual(['m2', 'm3']);
  expect(latest.conversation.messages.pageInfo.hasPreviousPage).toBe(true);
  const older = await ok(server.request(MessagesPageDocument, { conversationId, last: 2, before: latest.conversation.messages.pageInfo.startCursor }, bo.token));
  expect(older.conversation.messages.edges.map((edge) => edge.node.content)).toEqual(['m1']);
  // The largest page a client may ask for stays under the cost limit.
  await ok(server.request(MessagesPageDocument, { conversationId, last: 100 }, bo.token));
  await ok(server.request(InboxDocument, { first: 100 }, bo.token));

  const { markRead } = await ok(server.request(MarkReadDocument, { input: { conversationId } }, bo.token));
  expect(markRead.messageIds).toHaveLength(3);
  expect(markRead.conversation.unreadCount).toBe(0);
  expect((await ok(server.request(UnreadTotalDocument, {}, bo.token))).unreadTotal).toBe(0);

  expect((await ok(server.request(ArchiveConversationDocument, { id: conversationId }, bo.token))).archiveConversation.status).toBe('ARCHIVED');
  expect((await ok(server.request(UnarchiveConversationDocument, { id: conversationId }, bo.token))).unarchiveConversation.status).toBe('ACTIVE');
  await ok(server.request(NotificationSettingsDocument, {}, bo.token));
});

test('the messageReceived subscription document delivers a sent message', async () => {
  const { startConversation } = await ok(server.request(StartConversationDocument, { input: { participantId: bo.id, jobApplicationId: 'client-docs' } }, ana.token));
  const realtime = new RealtimeClient(wsUrl(server), bo.token);
  try {
    const stream = realtime.subscribe(MessageReceivedDocument, { conversationId: startConversation.id });
    await waitForSubscriptions(server, 'messageReceived', 1);
    await ok(server.request(SendMessageDocument, { input: { conversationId: startConversation.id, content: 'live' } }, ana.token));
    const event = await stream.next();
    expect(event.messageReceived).toMatchObject({ conversationId: startConversation.id, content: 'live', sender: { id: ana.id } });
    expect(stream.errors).toEqual([]);
  } finally {
    await realtime.dispose();
  }
});
