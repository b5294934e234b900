import { MeDocument, SendMessageDocument, StartConversationDocument, ConversationsDocument } from './generated/graphql';
import { actor, startTestServer, type TestServer } from './helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test('smoke', async () => {
  const ana = await actor(server, 'Ana');
  const bo = await actor(server, 'Bo');
  const me = await server.request(MeDocument, {}, ana.token);
  expect(me.data?.me.displayName).toBe('Ana');
  await server.request(MeDocument, {}, bo.token);
  const started = await server.request(StartConversationDocument, { input: { participantId: bo.id } }, ana.token);
  expect(started.errors).toBeUndefined();
  const id = started.data!.startConversation.id;
  const sent = await server.request(SendMessageDocument, { input: { conversationId: id, content: '<b>hi</b> there' } }, ana.token);
  expect(sent.errors).toBeUndefined();
  expect(sent.data!.sendMessage).toMatchObject({ sequence: 1, content: 'hi there' });
  const list = await server.request(ConversationsDocument, {}, bo.token);
  expect(list.errors).toBeUndefined();
  expect(list.data!.conversations.edges[0].node).toMatchObject({ unreadCount: 1, lastMessage: { content: 'hi there' } });
  expect(list.data!.conversations.totalCount).toBe(1);
});
