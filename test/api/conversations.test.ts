import { randomUUID } from 'node:crypto';
import {
  ArchiveConversationDocument,
  ConversationDocument,
  ConversationsDocument,
  MeDocument,
  SendMessageDocument,
  ServiceStartConversationDocument,
  StartConversationDocument,
  UnarchiveConversationDocument,
  UpsertUserDocument,
} from '../generated/graphql';
import { actor, startTestServer, type Actor, type TestServer, codes } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function known(name: string): Promise<Actor> {
  const person = await actor(server, name);
  await server.request(MeDocument, {}, person.token);
  return person;
}

function start(who: Actor, participantId: string, jobApplicationId?: string) {
  return server.request(StartConversationDocument, { input: { participantId, jobApplicationId } }, who.token);
}

async function auditRows(conversationId: string): Promise<string[]> {
  const rows = await server.service.orm.em.fork().execute(`select action from audit_log where entity_id = ? order by id`, [conversationId]);
  return rows.map((row) => String(row.action));
}

describe('startConversation', () => {
  test('returns the existing conversation for the pair, whoever starts it', async () => {
    const [ana, bo] = await Promise.all([known('Ana'), known('Bo')]);
    const first = await start(ana, bo.id);
    const again = await start(bo, ana.id);
    expect(again.data!.startConversation.id).toBe(first.data!.startConversation.id);
    expect(first.data!.startConversation).toMatchObject({ status: 'ACTIVE', unreadCount: 0, lastMessage: null, lastMessageAt: null });
    expect(first.data!.startConversation.otherParticipant).toEqual({ id: bo.id, displayName: 'Bo' });
    expect(again.data!.startConversation.otherParticipant).toEqual({ id: ana.id, displayName: 'Ana' });
    expect(await auditRows(first.data!.startConversation.id)).toEqual(['conversation.created']);
  });

  test('one conversation per job application', async () => {
    const [ana, bo] = await Promise.all([known('Ana'), known('Bo')]);
    const jobA = randomUUID();
    const general = await start(ana, bo.id);
    const aboutA = await start(ana, bo.id, jobA);
    const aboutAAgain = await start(bo, ana.id, jobA);
    expect(aboutA.data!.startConversation.id).not.toBe(general.data!.startConversation.id);
    expect(aboutAAgain.data!.startConversation.id).toBe(aboutA.data!.startConversation.id);
    expect(aboutA.data!.startConversation.jobApplicationId).toBe(jobA);
  });

  test('concurrent starts of the same pair make one conversation', async () => {
    const [ana, bo] = await Promise.all([known('Ana'), known('Bo')]);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? start(ana, bo.id) : start(bo, ana.id))));
    expect(new Set(results.map((r) => r.data?.startConversation.id)).size).toBe(1);
    const list = await server.request(ConversationsDocument, {}, ana.token);
    expect(list.data!.conversations.totalCount).toBe(1);
  });

  test('with oneself is BAD_USER_INPUT; with an unknown or malformed id NOT_FOUND', async () => {
    const ana = await known('Ana');
    expect(codes(await start(ana, ana.id))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await start(ana, randomUUID()))).toEqual(['NOT_FOUND']);
    expect(codes(await start(ana, 'not-a-uuid'))).toEqual(['NOT_FOUND']);
  });

  test('a user upserted by a service is known', async () => {
    const ana = await known('Ana');
    const id = randomUUID();
    await server.request(UpsertUserDocument, { input: { id, displayName: 'Employer Ltd' } }, await server.serviceToken());
    const result = await start(ana, id);
    expect(result.data!.startConversation.otherParticipant).toEqual({ id, displayName: 'Employer Ltd' });
  });
});

describe('archiving', () => {
  test('archive and unarchive set status, archivedAt, the list filter and an audit row each', async () => {
    const [ana, bo] = await Promise.all([known('Ana'), known('Bo')]);
    const id = (await start(ana, bo.id)).data!.startConversation.id;
    const archived = await server.request(ArchiveConversationDocument, { id }, ana.token);
    expect(archived.data!.archiveConversation.status).toBe('ARCHIVED');
    expect(archived.data!.archiveConversation.archivedAt).toBeTruthy();
    // Idempotent: a second archive changes nothing and writes no second audit row.
    await server.request(ArchiveConversationDocument, { id }, ana.token);

    const active = await server.request(ConversationsDocument, {}, ana.token);
    expect(active.data!.conversations.edges.map((e) => e.node.id)).not.toContain(id);
    const archivedList = await server.request(ConversationsDocument, { status: ['ARCHIVED'] }, ana.token);
    expect(archivedList.data!.conversations.edges.map((e) => e.node.id)).toEqual([id]);

    const unarchived = await server.request(UnarchiveConversationDocument, { id }, bo.token);
    expect(unarchived.data!.unarchiveConversation).toEqual({ id, status: 'ACTIVE', archivedAt: null });
    expect(await auditRows(id)).toEqual(['conversation.created', 'conversation.archived', 'conversation.unarchived']);
  });

  test('a new message makes an archived conversation ACTIVE again', async () => {
    const [ana, bo] = await Promise.all([known('Ana'), known('Bo')]);
    const id = (await start(ana, bo.id)).data!.startConversation.id;
    await server.request(ArchiveConversationDocument, { id }, ana.token);
    await server.request(SendMessageDocument, { input: { conversationId: id, content: 'back again' } }, bo.token);
    const after = await server.request(ConversationDocument, { id }, ana.token);
    expect(after.data!.conversation).toMatchObject({ status: 'ACTIVE', archivedAt: null, unreadCount: 1 });
  });
});

describe('the conversation list', () => {
  test('most recent activity first, with the last message and unread counts', async () => {
    const [ana, bo, cy] = await Promise.all([known('Ana'), known('Bo'), known('Cy')]);
    const withBo = (await start(ana, bo.id)).data!.startConversation.id;
    const withCy = (await start(ana, cy.id)).data!.startConversation.id;
    await server.request(SendMessageDocument, { input: { conversationId: withBo, content: 'from bo' } }, bo.token);
    let list = await server.request(ConversationsDocument, {}, ana.token);
    expect(list.data!.conversations.edges.map((e) => e.node.id)).toEqual([withBo, withCy]);
    await server.request(SendMessageDocument, { input: { conversationId: withCy, content: 'from cy' } }, cy.token);
    list = await server.request(ConversationsDocument, {}, ana.token);
    const nodes = list.data!.conversations.edges.map((e) => e.node);
    expect(nodes.map((n) => n.id)).toEqual([withCy, withBo]);
    expect(nodes[0]).toMatchObject({ unreadCount: 1, lastMessage: { content: 'from cy', sender: { id: cy.id } } });
    expect(nodes[0].participants.map((p) => p.id).sort()).toEqual([ana.id, cy.id].sort());
    expect(nodes[0].participants.every((p) => p.presence.status === 'OFFLINE')).toBe(true);
  });
});

describe('serviceStartConversation', () => {
  test('creates once, posting the system message only when new', async () => {
    const [ana, bo] = await Promise.all([known('Ana'), known('Bo')]);
    const token = await server.serviceToken();
    const jobApplicationId = randomUUID();
    const input = { participantIds: [ana.id, bo.id], jobApplicationId, systemMessage: 'Bo applied to <b>Cook</b>' };
    const first = await server.request(ServiceStartConversationDocument, { input }, token);
    expect(first.data!.serviceStartConversation).toMatchObject({ status: 'ACTIVE', jobApplicationId, lastMessage: { type: 'SYSTEM', content: 'Bo applied to Cook', sender: null } });
    const again = await server.request(ServiceStartConversationDocument, { input: { ...input, participantIds: [bo.id, ana.id] } }, token);
    expect(again.data!.serviceStartConversation.id).toBe(first.data!.serviceStartConversation.id);
    const seen = await server.request(ConversationDocument, { id: first.data!.serviceStartConversation.id }, ana.token);
    expect(seen.data!.conversation.lastMessage!.sequence).toBe(1);
  });

  test('needs exactly two distinct known users', async () => {
    const ana = await known('Ana');
    const token = await server.serviceToken();
    const call = (participantIds: string[]) => server.request(ServiceStartConversationDocument, { input: { participantIds } }, token);
    expect(codes(await call([ana.id]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await call([ana.id, ana.id]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await call([ana.id, randomUUID(), randomUUID()]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await call([ana.id, randomUUID()]))).toEqual(['NOT_FOUND']);
  });
});

describe('upsertUser', () => {
  test('creates, updates given fields, keeps absent ones and clears nulls', async () => {
    const token = await server.serviceToken();
    const id = randomUUID();
    const created = await server.request(UpsertUserDocument, { input: { id, displayName: 'Ana', avatarUrl: 'https://img/a.png' } }, token);
    expect(created.data!.upsertUser).toEqual({ id, displayName: 'Ana', avatarUrl: 'https://img/a.png' });
    const renamed = await server.request(UpsertUserDocument, { input: { id, displayName: 'Ana M.' } }, token);
    expect(renamed.data!.upsertUser).toEqual({ id, displayName: 'Ana M.', avatarUrl: 'https://img/a.png' });
    const cleared = await server.request(UpsertUserDocument, { input: { id, avatarUrl: null } }, token);
    expect(cleared.data!.upsertUser).toEqual({ id, displayName: 'Ana M.', avatarUrl: null });
    expect(codes(await server.request(UpsertUserDocument, { input: { id: 'user-1' } }, token))).toEqual(['BAD_USER_INPUT']);
  });
});
