import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChangedHistoryDocument, DeleteMessageDocument, EditMessageDocument } from '../generated/graphql';
import { encoded } from '../fixtures/images/generate';
import { codes, conversationPair, startTestServer, type TestServer } from '../helpers/test-server';
import { download, localObjects, sendImage } from './upload-client';

/**
 * Image messages change too (CONTRACT.md "Editing, deleting, replies and reactions"): an image
 * can answer a message, its caption can be edited, and deleting it deletes its stored objects.
 */
let server: TestServer;
let dataDir: string;
const objectsDir = () => path.join(dataDir, 'objects');

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'image-changes-'));
  server = await startTestServer({ DATA_DIR: dataDir });
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

test('an image answers a message, its caption is edited, and its deletion removes the objects', async () => {
  const { ana, bo, conversationId } = await conversationPair(server);
  const png = await encoded('png', 300, 200);
  const first = await sendImage(server, { conversationId, caption: 'the wall' }, png, { token: ana.token, filename: 'a.png' });
  expect(first.errors).toBeUndefined();
  const firstId = first.data!.sendImageMessage.id;
  const reply = await sendImage(server, { conversationId, caption: 'like this?', replyToId: firstId }, png, { token: bo.token, filename: 'b.png' });
  expect(reply.errors).toBeUndefined();
  const objectsBefore = await localObjects(objectsDir());
  expect(objectsBefore).toHaveLength(6);

  const edited = await server.request(EditMessageDocument, { input: { messageId: firstId, content: '<i>the north wall</i>' } }, ana.token);
  expect(edited.data!.editMessage).toMatchObject({ content: 'the north wall', revision: 1 });
  const url = first.data!.sendImageMessage.image!.thumbnailUrl!;
  const deleted = await server.request(DeleteMessageDocument, { messageId: firstId }, ana.token);
  expect(deleted.data!.deleteMessage).toMatchObject({ content: null, revision: 2 });
  expect(deleted.data!.deleteMessage.deletedAt).not.toBeNull();

  expect(await localObjects(objectsDir())).toHaveLength(3);
  expect((await download(url)).status).toBe(404);
  const history = await server.request(ChangedHistoryDocument, { id: conversationId, first: 10 }, bo.token);
  const [tombstone, answer] = history.data!.conversation.messages.edges.map((e) => e.node);
  expect(tombstone).toMatchObject({ id: firstId, type: 'IMAGE', content: null });
  expect(answer.replyTo).toMatchObject({ id: firstId, content: null });
  const image = await server.raw({ query: 'query($id: ID!) { conversation(id: $id) { messages { edges { node { id image { id } } } } } }', variables: { id: conversationId } }, bo.token);
  const nodes = (image.data as unknown as { conversation: { messages: { edges: { node: { id: string; image: unknown } }[] } } }).conversation.messages.edges;
  expect(nodes.map((e) => e.node.image === null)).toEqual([true, false]);
});

test('an image replying to a message of another conversation is BAD_USER_INPUT and leaves no object', async () => {
  const one = await conversationPair(server);
  const two = await conversationPair(server);
  const png = await encoded('png', 64, 64);
  const elsewhere = await sendImage(server, { conversationId: two.conversationId }, png, { token: two.ana.token, filename: 'c.png' });
  const before = await localObjects(objectsDir());
  const refused = await sendImage(server, { conversationId: one.conversationId, replyToId: elsewhere.data!.sendImageMessage.id }, png, {
    token: one.ana.token,
    filename: 'd.png',
  });
  expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
  expect(await localObjects(objectsDir())).toEqual(before);
});
