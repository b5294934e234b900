/**
 * No N+1: the conversation list (participants with presence, otherParticipant, lastMessage
 * with its sender, unreadCount, totalCount) and a page of history with senders run a fixed
 * number of SQL statements, whatever the page size. Statements are counted with `onQuery`.
 */
import { randomUUID } from 'node:crypto';
import { onQuery } from '../../src/db/orm';
import { ChangedHistoryDocument, ConversationsDocument, MessagesDocument, type ConversationsQuery } from '../generated/graphql';
import { QUIET_BACKGROUND, startTestServer, type GraphQLResponse, type TestServer } from '../helpers/test-server';

/** The most statements either request may take; the counts for 5 and 50 must also be equal. */
// Six: blocks (isBlocked, blockedByViewer and hidden presence) add one batched read of user_blocks.
const MAX_LIST_STATEMENTS = 6;
const MAX_HISTORY_STATEMENTS = 3;
/** History with replyTo, reactions and their users, and unreadCount: each a batched statement. */
const MAX_CHANGED_HISTORY_STATEMENTS = 7;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(QUIET_BACKGROUND);
});
afterAll(() => server.stop());

function sql(query: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return server.service.orm.em.fork().execute(query, params);
}

/** Runs `request` and returns its answer with the SQL statements executed meanwhile. */
async function counting<T>(request: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const stop = onQuery((query) => statements.push(query.replace(/\s+/g, ' ').slice(0, 140)));
  try {
    const result = await request();
    return { result, statements };
  } finally {
    stop();
  }
}

function report(label: string, statements: string[]): void {
  process.stdout.write(`\n${label}: ${statements.length} SQL statements\n${statements.map((s) => `  ${s}`).join('\n')}\n`);
}

interface Setup {
  viewerId: string;
  token: string;
  conversationIds: string[];
  otherIds: string[];
}

/**
 * A viewer with `count` conversations, each with a distinct other user and three messages:
 * the other's (unread), the viewer's, and a last one by the other or, every fifth
 * conversation, a system message without a sender. Inserted with SQL: only the reads count.
 */
async function viewerWith(count: number): Promise<Setup> {
  const viewerId = randomUUID();
  const otherIds = Array.from({ length: count }, () => randomUUID());
  await sql(`insert into users (id, display_name) select unnest(array[?]::uuid[]), 'user'`, [[viewerId, ...otherIds]]);
  const conversationIds = otherIds.map(() => randomUUID());
  const conversations: unknown[] = [];
  const messages: unknown[] = [];
  for (const [i, otherId] of otherIds.entries()) {
    const id = conversationIds[i];
    const at = new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();
    conversations.push(id, ...[viewerId, otherId].sort(), at);
    const system = i % 5 === 4;
    messages.push(randomUUID(), id, 1, 'TEXT', otherId, 'hello', at);
    messages.push(randomUUID(), id, 2, 'TEXT', viewerId, 'hi', at);
    messages.push(randomUUID(), id, 3, system ? 'SYSTEM' : 'TEXT', system ? null : otherId, `last ${i}`, at);
  }
  await sql(
    `insert into conversations (id, participant_a_id, participant_b_id, last_message_at, last_sequence)
     values ${otherIds.map(() => '(?, ?, ?, ?::timestamptz, 3)').join(', ')}`,
    conversations,
  );
  await sql(
    `insert into messages (id, conversation_id, sequence, type, sender_id, content, created_at)
     values ${Array.from({ length: otherIds.length * 3 }, () => '(?, ?, ?, ?::message_type, ?::uuid, ?, ?::timestamptz)').join(', ')}`,
    messages,
  );
  return { viewerId, token: await server.token(viewerId, { name: 'Viewer' }), conversationIds, otherIds };
}

type ConversationsResult = GraphQLResponse<ConversationsQuery>;

/** The list answer is complete and right, so that a low count is not the count of an error. */
function checkList(response: ConversationsResult, setup: Setup): void {
  expect(response.errors).toBeUndefined();
  const { edges, totalCount } = response.data!.conversations;
  const count = setup.conversationIds.length;
  expect(totalCount).toBe(count);
  expect(edges).toHaveLength(count);
  // Newest activity first: the conversation inserted last comes first.
  expect(edges.map((e) => e.node.id)).toEqual([...setup.conversationIds].reverse());
  for (const [position, { node }] of edges.entries()) {
    const i = count - 1 - position;
    const otherId = setup.otherIds[i];
    const system = i % 5 === 4;
    expect(node.unreadCount).toBe(system ? 1 : 2);
    expect(node.otherParticipant.id).toBe(otherId);
    expect([node.isBlocked, node.blockedByViewer]).toEqual([false, false]);
    expect(node.participants.map((p) => p.id).sort()).toEqual([setup.viewerId, otherId].sort());
    for (const participant of node.participants) expect(participant.presence.status).toBe('OFFLINE');
    expect(node.lastMessage).toMatchObject({ sequence: 3, content: `last ${i}`, type: system ? 'SYSTEM' : 'TEXT' });
    expect(node.lastMessage!.sender?.id ?? null).toBe(system ? null : otherId);
  }
}

test('the conversation list runs a fixed number of statements for 5 and for 50 conversations', async () => {
  const small = await viewerWith(5);
  const large = await viewerWith(50);
  const counts: number[] = [];
  for (const [label, setup] of [
    ['5 conversations', small],
    ['50 conversations', large],
  ] as const) {
    // Warm-up: provisions the user (a write, cached afterwards).
    checkList(await server.request(ConversationsDocument, { first: 50 }, setup.token), setup);
    const { result, statements } = await counting(() => server.request(ConversationsDocument, { first: 50 }, setup.token));
    checkList(result, setup);
    report(`conversations(first: 50) with ${label}`, statements);
    expect(statements.length).toBeGreaterThan(0);
    counts.push(statements.length);
  }
  expect(counts[1]).toBe(counts[0]);
  expect(counts[0]).toBeLessThanOrEqual(MAX_LIST_STATEMENTS);
});

test('a page of 50 messages with senders runs as many statements as a page of 5', async () => {
  const setup = await viewerWith(1);
  const [conversationId] = setup.conversationIds;
  const otherId = setup.otherIds[0];
  // 60 messages more, from both participants and the system.
  const senders = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? setup.viewerId : i % 7 === 0 ? null : otherId));
  const values = senders.map((_, i) => `(gen_random_uuid(), ?, ${i + 4}, ?::message_type, ?::uuid, 'm${i + 4}', now(), now())`);
  await sql(
    `insert into messages (id, conversation_id, sequence, type, sender_id, content, created_at, delivered_at) values ${values.join(', ')}`,
    senders.flatMap((sender) => [conversationId, sender ? 'TEXT' : 'SYSTEM', sender]),
  );
  await sql('update conversations set last_sequence = 63 where id = ?', [conversationId]);
  const expectedSender = (sequence: number) => (sequence <= 3 ? [otherId, setup.viewerId, otherId][sequence - 1] : senders[sequence - 4]);

  await server.request(MessagesDocument, { id: conversationId, first: 1 }, setup.token); // warm-up
  const counts: number[] = [];
  for (const size of [5, 50]) {
    const { result, statements } = await counting(() => server.request(MessagesDocument, { id: conversationId, last: size }, setup.token));
    expect(result.errors).toBeUndefined();
    const edges = result.data!.conversation.messages.edges;
    expect(edges.map((e) => e.node.sequence)).toEqual(Array.from({ length: size }, (_, i) => 63 - size + 1 + i));
    for (const { node } of edges) expect(node.sender?.id ?? null).toBe(expectedSender(node.sequence));
    report(`conversation.messages(last: ${size}) with senders`, statements);
    expect(statements.length).toBeGreaterThan(0);
    counts.push(statements.length);
  }
  expect(counts[1]).toBe(counts[0]);
  expect(counts[0]).toBeLessThanOrEqual(MAX_HISTORY_STATEMENTS);
});

test('a page of messages with replies and reactions (grouped, with users) runs as many statements for 50 as for 5', async () => {
  const setup = await viewerWith(1);
  const [conversationId] = setup.conversationIds;
  const otherId = setup.otherIds[0];
  // 60 messages more, each answering the one before it, each with reactions of both participants.
  const values = Array.from({ length: 60 }, (_, i) => `(gen_random_uuid(), ?, ${i + 4}, 'TEXT', ?::uuid, 'm${i + 4}', now(), now())`);
  await sql(
    `insert into messages (id, conversation_id, sequence, type, sender_id, content, created_at, delivered_at) values ${values.join(', ')}`,
    Array.from({ length: 60 }, (_, i) => [conversationId, i % 2 === 0 ? setup.viewerId : otherId]).flat(),
  );
  await sql(
    `update messages m set reply_to_id = p.id from messages p
     where m.conversation_id = ? and p.conversation_id = m.conversation_id and p.sequence = m.sequence - 1`,
    [conversationId],
  );
  await sql(
    `insert into message_reactions (message_id, user_id, emoji)
     select m.id, u.id, e.emoji from messages m, unnest(array[?]::uuid[]) as u(id), unnest(array['👍', '🎉']) as e(emoji)
     where m.conversation_id = ? and (e.emoji = '👍' or u.id = ?)`,
    [[setup.viewerId, otherId], conversationId, otherId],
  );
  await sql('update conversations set last_sequence = 63 where id = ?', [conversationId]);

  await server.request(MessagesDocument, { id: conversationId, first: 1 }, setup.token); // warm-up
  const counts: number[] = [];
  for (const size of [5, 50]) {
    const { result, statements } = await counting(() => server.request(ChangedHistoryDocument, { id: conversationId, first: size }, setup.token));
    expect(result.errors).toBeUndefined();
    const edges = result.data!.conversation.messages.edges;
    expect(edges).toHaveLength(size);
    for (const [i, { node }] of edges.entries()) {
      expect(node.replyTo?.id ?? null).toBe(i === 0 ? null : edges[i - 1].node.id);
      expect(node.reactions.map((r) => [r.emoji, r.count, r.reactedByViewer])).toEqual([
        ['👍', 2, true],
        ['🎉', 1, false],
      ]);
      expect(node.reactions[1].users.map((u) => u.id)).toEqual([otherId]);
    }
    report(`conversation.messages(first: ${size}) with replyTo and reactions`, statements);
    counts.push(statements.length);
  }
  expect(counts[1]).toBe(counts[0]);
  expect(counts[0]).toBeLessThanOrEqual(MAX_CHANGED_HISTORY_STATEMENTS);
});
