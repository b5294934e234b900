/**
 * CONTRACT.md "Editing, deleting, replies and reactions": replies, edits (history kept, same
 * checks as a send), tombstones, reactions (one emoji, grouped, per viewer) and the gapless
 * per-conversation revision counter, against the real database.
 */
import { Pool } from 'pg';
import {
  AddReactionDocument,
  ChangedHistoryDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  PostSystemMessageDocument,
  RemoveReactionDocument,
  SendReplyDocument,
} from '../generated/graphql';
import { actor, codes, conversationPair, startTestServer, type Actor, type TestServer } from '../helpers/test-server';

let server: TestServer;
let db: Pool;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_MESSAGES_PER_HOUR: '100000' });
  db = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
});
afterAll(async () => {
  await db.end();
  await server.stop();
});

async function send(by: Actor, conversationId: string, content: string, replyToId?: string) {
  const response = await server.request(SendReplyDocument, { input: { conversationId, content, replyToId } }, by.token);
  expect(response.errors).toBeUndefined();
  return response.data!.sendMessage;
}

const edit = (by: Actor, messageId: string, content: string) => server.request(EditMessageDocument, { input: { messageId, content } }, by.token);
const remove = (by: Actor, messageId: string) => server.request(DeleteMessageDocument, { messageId }, by.token);
const react = (by: Actor, messageId: string, emoji: string) => server.request(AddReactionDocument, { messageId, emoji }, by.token);
const unreact = (by: Actor, messageId: string, emoji: string) => server.request(RemoveReactionDocument, { messageId, emoji }, by.token);

async function history(by: Actor, conversationId: string) {
  const response = await server.request(ChangedHistoryDocument, { id: conversationId, first: 100 }, by.token);
  expect(response.errors).toBeUndefined();
  return response.data!.conversation;
}

describe('replies', () => {
  test('replyToId names a message of the same conversation; replyTo resolves it', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const first = await send(ana, conversationId, 'Can you come on Monday?');
    const reply = await send(bo, conversationId, 'Yes, at 9', first.id);
    expect(reply.replyTo).toEqual({ id: first.id, content: 'Can you come on Monday?', deletedAt: null });
    const page = await history(ana, conversationId);
    expect(page.messages.edges.map((e) => e.node.replyTo?.id ?? null)).toEqual([null, first.id]);
  });

  test('a message of another conversation, or no message id at all, is BAD_USER_INPUT and stores nothing', async () => {
    const one = await conversationPair(server);
    const two = await conversationPair(server);
    const elsewhere = await send(two.ana, two.conversationId, 'other conversation');
    for (const replyToId of [elsewhere.id, 'not-an-id']) {
      const response = await server.request(SendReplyDocument, { input: { conversationId: one.conversationId, content: 'hi', replyToId } }, one.ana.token);
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    }
    expect((await history(one.ana, one.conversationId)).messages.edges).toHaveLength(0);
  });

  test('an outsider replying is NOT_FOUND, not BAD_USER_INPUT', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const first = await send(ana, conversationId, 'hello');
    const outsider = await actor(server, 'Eve');
    const response = await server.request(SendReplyDocument, { input: { conversationId, content: 'hi', replyToId: first.id } }, outsider.token);
    expect(codes(response)).toEqual(['NOT_FOUND']);
  });

  test('the reply keeps pointing at the message after an edit and a deletion', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const first = await send(ana, conversationId, 'Monday');
    const reply = await send(bo, conversationId, 'ok', first.id);
    await edit(ana, first.id, 'Tuesday');
    expect((await history(bo, conversationId)).messages.edges[1].node.replyTo).toEqual({ id: first.id, content: 'Tuesday', deletedAt: null });
    await remove(ana, first.id);
    const after = (await history(bo, conversationId)).messages.edges.find((e) => e.node.id === reply.id)!.node;
    expect(after.replyTo?.id).toBe(first.id);
    expect(after.replyTo?.content).toBeNull();
    expect(after.replyTo?.deletedAt).not.toBeNull();
  });
});

describe('editMessage', () => {
  test('sanitises the new content, sets editedAt and a revision, keeps sequence and createdAt, and keeps the earlier version', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'helo');
    const response = await edit(ana, sent.id, '  <b>hello</b> <script>x()</script> ');
    expect(response.errors).toBeUndefined();
    const edited = response.data!.editMessage;
    expect(edited).toMatchObject({ id: sent.id, content: 'hello', sequence: sent.sequence, createdAt: sent.createdAt, revision: 1 });
    expect(edited.editedAt).not.toBeNull();
    await edit(ana, sent.id, 'hello!');
    const versions = await db.query('select content from message_edits where message_id = $1 order by id', [sent.id]);
    expect(versions.rows.map((row) => row.content)).toEqual(['helo', 'hello']);
  });

  test('the same checks as a send: empty or too long content is BAD_USER_INPUT and changes nothing', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'original');
    expect(codes(await edit(ana, sent.id, '   <p></p> '))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await edit(ana, sent.id, 'x'.repeat(4001)))).toEqual(['BAD_USER_INPUT']);
    const node = (await history(ana, conversationId)).messages.edges[0].node;
    expect(node).toMatchObject({ content: 'original', editedAt: null, revision: 0 });
  });

  test('the other participant is FORBIDDEN, an outsider and an unknown id NOT_FOUND', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'mine');
    const outsider = await actor(server, 'Eve');
    await server.raw({ query: '{ me { id } }' }, outsider.token);
    expect(codes(await edit(bo, sent.id, 'yours'))).toEqual(['FORBIDDEN']);
    expect(codes(await edit(outsider, sent.id, 'theirs'))).toEqual(['NOT_FOUND']);
    expect(codes(await edit(ana, '00000000-0000-4000-8000-000000000000', 'none'))).toEqual(['NOT_FOUND']);
    expect(codes(await edit(ana, 'not-a-uuid', 'none'))).toEqual(['NOT_FOUND']);
  });

  test('after MESSAGE_EDIT_WINDOW_MINUTES an edit and a deletion are FORBIDDEN', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'old');
    await db.query(`update messages set created_at = now() - interval '1441 minutes' where id = $1`, [sent.id]);
    expect(codes(await edit(ana, sent.id, 'new'))).toEqual(['FORBIDDEN']);
    expect(codes(await remove(ana, sent.id))).toEqual(['FORBIDDEN']);
  });

  test('SYSTEM messages cannot be edited or deleted', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const service = await server.serviceToken();
    const posted = await server.request(PostSystemMessageDocument, { input: { conversationId, content: 'Application accepted' } }, service);
    const id = posted.data!.postSystemMessage.id;
    expect(codes(await edit(ana, id, 'changed'))).toEqual(['FORBIDDEN']);
    expect(codes(await remove(ana, id))).toEqual(['FORBIDDEN']);
  });
});

describe('deleteMessage', () => {
  test('leaves a tombstone in place; deleting again answers it and changes nothing; it cannot be edited', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'my phone is ...');
    await react(bo, sent.id, '👍');
    const deleted = (await remove(ana, sent.id)).data!.deleteMessage;
    expect(deleted).toMatchObject({ id: sent.id, sequence: sent.sequence, content: null, metadata: {}, reactions: [], revision: 2 });
    expect(deleted.deletedAt).not.toBeNull();
    const again = (await remove(ana, sent.id)).data!.deleteMessage;
    expect(again).toEqual(deleted);
    expect(codes(await edit(ana, sent.id, 'back'))).toEqual(['FORBIDDEN']);
    expect(codes(await remove(bo, sent.id))).toEqual(['FORBIDDEN']);
    const row = await db.query('select last_revision from conversations where id = $1', [conversationId]);
    expect(row.rows[0].last_revision).toBe(2);
  });

  test('a deleted unread message no longer counts as unread', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const first = await send(ana, conversationId, 'one');
    await send(ana, conversationId, 'two');
    expect((await history(bo, conversationId)).unreadCount).toBe(2);
    await remove(ana, first.id);
    expect((await history(bo, conversationId)).unreadCount).toBe(1);
    const total = await server.raw({ query: '{ unreadTotal }' }, bo.token);
    expect((total.data as unknown as { unreadTotal: number }).unreadTotal).toBe(1);
  });
});

describe('reactions', () => {
  test('grouped by emoji, the most used first, with counts, users and reactedByViewer per viewer', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'Done!');
    await react(ana, sent.id, '🎉');
    await react(bo, sent.id, '👍🏽');
    const both = (await react(ana, sent.id, '👍🏽')).data!.addReaction;
    expect(both.reactions.map((r) => [r.emoji, r.count, r.reactedByViewer])).toEqual([
      ['👍🏽', 2, true],
      ['🎉', 1, true],
    ]);
    expect(both.reactions[0].users.map((u) => u.id)).toEqual([bo.id, ana.id]);
    const seenByBo = (await history(bo, conversationId)).messages.edges[0].node.reactions;
    expect(seenByBo.map((r) => [r.emoji, r.reactedByViewer])).toEqual([
      ['👍🏽', true],
      ['🎉', false],
    ]);
    expect(both.revision).toBe(3);
  });

  test('adding an existing reaction or removing a missing one changes nothing (no revision)', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'hi');
    expect((await react(bo, sent.id, '❤️')).data!.addReaction.revision).toBe(1);
    expect((await react(bo, sent.id, '❤️')).data!.addReaction.revision).toBe(1);
    expect((await unreact(bo, sent.id, '😀')).data!.removeReaction.revision).toBe(1);
    const removed = (await unreact(bo, sent.id, '❤️')).data!.removeReaction;
    expect(removed).toMatchObject({ revision: 2, reactions: [] });
  });

  test.each([
    ['👍', true],
    ['👍🏽', true],
    ['👩‍💻', true],
    ['👨‍👩‍👧‍👦', true],
    ['🇪🇸', true],
    ['🏳️‍🌈', true],
    ['1️⃣', true],
    ['', false],
    ['a', false],
    ['👍👍', false],
    ['👍 ', false],
    [':+1:', false],
    ['1', false],
    ['<3', false],
  ])('emoji %j valid: %s', async (emoji, valid) => {
    const { ana, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'x');
    const response = await react(ana, sent.id, emoji);
    if (valid) expect(response.data!.addReaction.reactions.map((r) => r.emoji)).toEqual([emoji]);
    else expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });

  test('at most 20 distinct emoji per message; a deleted message takes none', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const sent = await send(ana, conversationId, 'popular');
    const emoji = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗'];
    expect(emoji).toHaveLength(20);
    for (const e of emoji) expect((await react(bo, sent.id, e)).errors).toBeUndefined();
    expect(codes(await react(bo, sent.id, '🤩'))).toEqual(['BAD_USER_INPUT']);
    // One of the twenty again (by the other participant) is fine.
    expect((await react(ana, sent.id, '😀')).errors).toBeUndefined();
    await remove(ana, sent.id);
    expect(codes(await react(bo, sent.id, '😀'))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('revisions', () => {
  test('are gapless under concurrent edits and reactions from both participants', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const messages = await Promise.all([send(ana, conversationId, 'a'), send(bo, conversationId, 'b')]);
    const emoji = ['👍', '❤️', '😂', '🎉', '🙏'];
    const changes = [
      ...emoji.map((e) => react(ana, messages[1].id, e)),
      ...emoji.map((e) => react(bo, messages[0].id, e)),
      ...[1, 2, 3, 4, 5].map((n) => edit(ana, messages[0].id, `a${n}`)),
    ];
    const results = await Promise.all(changes);
    for (const result of results) expect(result.errors).toBeUndefined();
    const revisions = await db.query('select last_revision from conversations where id = $1', [conversationId]);
    expect(revisions.rows[0].last_revision).toBe(15);
    // Each answer is the state at its own change: together they took 1..15, each once.
    const taken = results.map((result) => Object.values(result.data as Record<string, { revision: number }>)[0].revision).sort((x, y) => x - y);
    expect(taken).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });
});
