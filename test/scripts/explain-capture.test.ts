import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { captureStatements, type CapturedStatement } from '../../scripts/explain-capture';
import { DevicePlatform } from '../../src/schema/common/enums';
import { actor, startTestServer, type TestServer } from '../helpers/test-server';

// scripts/explain-queries.ts explains what the services really send: this runs its capture on a
// small data set and checks that each call yields its statements, with the values to run them.
let server: TestServer;
let captured: CapturedStatement[];

beforeAll(async () => {
  server = await startTestServer();
  const services = server.service.app.services;
  const em = () => server.service.orm.em.fork() as EntityManager;
  const [ana, bo, carl, dana] = await Promise.all(['Ana', 'Bo', 'Carl', 'Dana'].map((name) => actor(server, name)));
  for (const user of [ana, bo, carl, dana]) await services.users.provision({ kind: 'user', id: user.id, name: user.name, expiresAt: Date.now() + 60_000 });
  const { conversation } = await services.conversations.start(em(), ana.id, bo.id);
  const job = await services.conversations.start(em(), ana.id, carl.id, 'job-1');
  const clientMessageId = randomUUID();
  await services.messages.send(bo.id, { conversationId: conversation.id, content: 'first', clientMessageId });
  const unread = [];
  for (const content of ['two', 'three']) unread.push(await services.messages.send(bo.id, { conversationId: conversation.id, content }));
  const token = `token-${randomUUID()}`;
  await services.notificationSettings.registerDevice(em(), ana.id, token, DevicePlatform.ANDROID);
  await services.notificationSettings.update(em(), ana.id, { newMessagePush: false });

  captured = await captureStatements(server.service.databaseUrl, {
    heavy: ana.id,
    typical: ana.id,
    bigConversationId: conversation.id,
    bigOther: bo.id,
    typicalConversationId: conversation.id,
    typicalOther: bo.id,
    pageUsers: [ana.id, bo.id],
    pageConversationIds: [conversation.id, job.conversation.id],
    newPair: [carl.id, dana.id],
    jobPair: { a: ana.id, b: carl.id, jobApplicationId: 'job-1' },
    clientMessageId,
    clientMessageSender: bo.id,
    unreadIds: unread.map((message) => message.id),
    upToMessageId: unread[1].id,
    imageMessageIds: [],
    prefsUser: ana.id,
    heavyToken: token,
  });
}, 60_000);

afterAll(() => server.stop());

const of = (source: string) => captured.filter((statement) => statement.source === source);

test('every call of the report yields at least one statement, and none is transaction control', () => {
  const sources = new Set(captured.map((statement) => statement.source));
  for (const source of ['ConversationService.getForViewer', 'ConversationService.list', 'MessageService.send', 'MessageService.markRead', 'NotificationSettingsService.devices']) {
    expect(sources).toContain(source);
  }
  expect(captured.filter((statement) => /^\s*(begin|commit|rollback)\b/i.test(statement.sql))).toEqual([]);
});

test('the conversation list is the service statement itself (the two ordered index scans)', () => {
  const list = of('ConversationService.list').map((statement) => statement.sql);
  expect(list.some((sql) => sql.includes('union all') && sql.includes('order by activity_at desc, id desc'))).toBe(true);
});

test('hot-path pool statements come with their bind values; the send function is marked nested and write', () => {
  const send = of('MessageService.send').find((statement) => statement.sql.includes('send_message('));
  expect(send).toMatchObject({ nested: true, write: true });
  expect(send!.params.length).toBeGreaterThan(0);
  const loaderUsers = captured.find((statement) => statement.sql.startsWith('select id, display_name') && statement.sql.includes('any($1::uuid[])'));
  expect(loaderUsers?.params).toEqual([expect.arrayContaining([expect.any(String)])]);
});

test('reads are not marked as writes, and updates are', () => {
  expect(of('ConversationService.getForViewer').every((statement) => !statement.write)).toBe(true);
  expect(of('ConversationService.archive / unarchive').some((statement) => statement.write && statement.sql.startsWith('update conversations'))).toBe(true);
});

test('every captured statement runs under EXPLAIN as captured (MikroORM values inlined, pool values bound)', async () => {
  const db = new Client({ connectionString: server.service.databaseUrl });
  await db.connect();
  try {
    for (const statement of captured) {
      if (statement.params.length === 0) expect(statement.sql).not.toMatch(/[(,=] ?\?(?!\?)/);
      await expect(db.query(`explain (format text) ${statement.sql}`, statement.params)).resolves.toBeDefined();
    }
  } finally {
    await db.end();
  }
});
