import { randomUUID } from 'node:crypto';
import {
  ArchiveConversationDocument,
  CreateWebhookDocument,
  DeleteWebhookDocument,
  MarkReadDocument,
  SendMessageDocument,
  WebhooksDocument,
} from '../generated/graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { EmSql } from '../../src/db/sql';
import { recordWebhookEvent } from '../../src/webhooks/record-webhook-event';
import { WebhookEventType } from '../../src/webhooks/webhook-event-type';
import { codes, conversationPair, startTestServer, type TestServer } from '../helpers/test-server';
import { BLOCK, EDIT, gql, REACT, REPORT_MESSAGE } from '../safety/gql';
import { WebhookReceiver } from './webhook-receiver';

/**
 * Webhooks end to end (CONTRACT.md "Webhooks (service role)"): a real server delivering to a
 * receiver on loopback that verifies each request with the `standardwebhooks` library.
 * Retries wait 0.2 s, 0.4 s, ... here (WEBHOOK_RETRY_BASE_SECONDS) and a silent receiver
 * times out after 1 s, so that the schedule runs in seconds.
 */
const ENV = {
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_RETRY_BASE_SECONDS: '0.2',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_DISPATCH_MS: '100',
};

let server: TestServer;
let receiver: WebhookReceiver;

beforeEach(async () => {
  server = await startTestServer(ENV);
  receiver = new WebhookReceiver();
  await receiver.start();
});

afterEach(async () => {
  await execute('delete from webhooks');
  await server.stop();
  await receiver.stop();
});

function execute(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return server.service.orm.em.getConnection().execute(sql, params);
}

async function register(events: string[]): Promise<string> {
  const created = await server.request(CreateWebhookDocument, { input: { url: receiver.url, events: events as never } }, await server.serviceToken());
  if (!created.data) throw new Error(JSON.stringify(created.errors));
  receiver.secret = created.data.createWebhook.secret!;
  return created.data.createWebhook.id;
}

async function send(token: string, conversationId: string, content: string): Promise<string> {
  const sent = await server.request(SendMessageDocument, { input: { conversationId, content } }, token);
  if (!sent.data) throw new Error(JSON.stringify(sent.errors));
  return sent.data.sendMessage.id;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('webhook registration', () => {
  test('answers the secret once, refuses bad input and non-service callers', async () => {
    const serviceToken = await server.serviceToken();
    const created = await server.request(CreateWebhookDocument, { input: { url: receiver.url, events: ['MESSAGE_SENT'] } }, serviceToken);
    const secret = created.data!.createWebhook.secret!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    const other = await server.request(CreateWebhookDocument, { input: { url: receiver.url, events: ['MESSAGE_SENT'] } }, serviceToken);
    expect(other.data!.createWebhook.secret).not.toBe(secret);

    const listed = await server.request(WebhooksDocument, {}, serviceToken);
    expect(listed.data!.webhooks.map((hook) => [hook.url, hook.events, hook.secret])).toEqual([
      [receiver.url, ['MESSAGE_SENT'], null],
      [receiver.url, ['MESSAGE_SENT'], null],
    ]);

    const empty = await server.request(CreateWebhookDocument, { input: { url: receiver.url, events: [] } }, serviceToken);
    expect(codes(empty)).toEqual(['BAD_USER_INPUT']);
    const notHttp = await server.request(CreateWebhookDocument, { input: { url: 'ftp://93.184.216.34/x', events: ['MESSAGE_SENT'] } }, serviceToken);
    expect(codes(notHttp)).toEqual(['BAD_USER_INPUT']);
    const tooLong = await server.request(CreateWebhookDocument, { input: { url: `${receiver.url}?${'x'.repeat(2000)}`, events: ['MESSAGE_SENT'] } }, serviceToken);
    expect(codes(tooLong)).toEqual(['BAD_USER_INPUT']);
    const user = await server.token(randomUUID());
    expect(codes(await server.request(WebhooksDocument, {}, user))).toEqual(['FORBIDDEN']);
    expect(codes(await server.request(CreateWebhookDocument, { input: { url: receiver.url, events: ['MESSAGE_SENT'] } }, user))).toEqual(['FORBIDDEN']);

    expect((await server.request(DeleteWebhookDocument, { id: randomUUID() }, serviceToken)).data!.deleteWebhook).toBe(false);
    expect((await server.request(DeleteWebhookDocument, { id: 'not-an-id' }, serviceToken)).data!.deleteWebhook).toBe(false);
    expect((await server.request(DeleteWebhookDocument, { id: created.data!.createWebhook.id }, serviceToken)).data!.deleteWebhook).toBe(true);
  });
});

describe('webhook delivery', () => {
  test('signed events of the subscribed types, in order, with the contract body, within 5 s', async () => {
    await register(['CONVERSATION_CREATED', 'MESSAGE_SENT', 'MESSAGE_READ', 'CONVERSATION_ARCHIVED']);
    const { ana, bo, conversationId } = await conversationPair(server);
    const sentAt = Date.now();
    const messageId = await send(ana.token, conversationId, 'hello bo');
    await receiver.waitFor(2);
    const firstAttemptMs = Date.now() - sentAt;
    await server.request(MarkReadDocument, { input: { conversationId } }, bo.token);
    await server.request(ArchiveConversationDocument, { id: conversationId }, ana.token);
    const received = await receiver.waitFor(4);

    expect(received.every((request) => request.verified)).toBe(true);
    expect(received.map((request) => request.event.type)).toEqual(['CONVERSATION_CREATED', 'MESSAGE_SENT', 'MESSAGE_READ', 'CONVERSATION_ARCHIVED']);
    expect(new Set(received.map((request) => request.id)).size).toBe(4);
    const [created, sent, read, archived] = received.map((request) => request.event);
    expect(archived.data).toMatchObject({ conversation: { id: conversationId, status: 'ARCHIVED', archivedAt: expect.stringMatching(/Z$/) } });
    expect(created.data).toEqual({
      conversation: { id: conversationId, participantIds: expect.arrayContaining([ana.id, bo.id]), jobApplicationId: null, status: 'ACTIVE', archivedAt: null },
    });
    expect(sent.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(sent.data).toMatchObject({ conversationId, message: { id: messageId, conversationId, senderId: ana.id, content: 'hello bo', type: 'TEXT' } });
    expect(sent.data).toMatchObject({ message: { sender: { id: ana.id, displayName: 'Ana' }, createdAt: expect.stringMatching(/Z$/) } });
    expect(read.data).toMatchObject({ conversationId, readerId: bo.id, messageIds: [messageId], readAt: expect.stringMatching(/^\d{4}-.*\.\d{3}Z$/) });
    expect(firstAttemptMs).toBeLessThan(5000);
    process.stdout.write(`webhook: first attempt ${firstAttemptMs} ms after the send answered\n`);
  });

  test('MESSAGE_UPDATED, USER_BLOCKED and REPORT_CREATED come from the change itself, once each', async () => {
    await register(['MESSAGE_UPDATED', 'USER_BLOCKED', 'REPORT_CREATED']);
    const { ana, bo, conversationId } = await conversationPair(server);
    const messageId = await send(ana.token, conversationId, 'see you at 9');
    expect((await gql(server, EDIT, { input: { messageId, content: 'see you at 10' } }, ana.token)).errors).toBeUndefined();
    expect((await gql(server, REACT, { messageId, emoji: '👍' }, bo.token)).errors).toBeUndefined();
    const report = await gql<{ reportMessage: { id: string } }>(server, REPORT_MESSAGE, { input: { messageId, reason: 'SPAM' } }, bo.token);
    expect(report.errors).toBeUndefined();
    await gql(server, BLOCK, { userId: ana.id }, bo.token);
    await gql(server, BLOCK, { userId: ana.id }, bo.token); // again: no new block, no event
    const received = await receiver.waitFor(4);

    expect(received.every((request) => request.verified)).toBe(true);
    expect(received.map((request) => request.event.type)).toEqual(['MESSAGE_UPDATED', 'MESSAGE_UPDATED', 'REPORT_CREATED', 'USER_BLOCKED']);
    const [edited, reacted, reported, blocked] = received.map((request) => request.event);
    expect(edited.data).toMatchObject({ conversationId, message: { id: messageId, content: 'see you at 10', editedAt: expect.stringMatching(/Z$/), revision: 1, reactions: [] } });
    expect(reacted.data).toMatchObject({ message: { id: messageId, revision: 2, reactions: [{ emoji: '👍', count: 1, userIds: [bo.id] }] } });
    expect(reported.data).toEqual({
      report: { id: report.data!.reportMessage.id, reason: 'SPAM', reporterId: bo.id, reportedUserId: ana.id, conversationId, messageId },
    });
    expect(blocked.data).toEqual({ blockerId: bo.id, blockedId: ana.id });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(4);
  });

  test('retries a 500, a timeout and a reset with the same id and body, then logs each attempt', async () => {
    const webhookId = await register(['MESSAGE_SENT']);
    const { ana, conversationId } = await conversationPair(server);
    receiver.answers.push('500', 'timeout', 'reset');
    await send(ana.token, conversationId, 'try again');
    const received = await receiver.waitFor(4);

    expect(received.map((request) => request.answer)).toEqual(['500', 'timeout', 'reset', 'ok']);
    expect(new Set(received.map((request) => request.id)).size).toBe(1);
    expect(new Set(received.map((request) => request.body)).size).toBe(1);
    expect(received.every((request) => request.verified)).toBe(true);
    await eventually(async () => (await execute(`select status from webhook_deliveries where webhook_id = ?`, [webhookId]))[0]?.status === 'delivered');
    const log = await server.service.app.services.webhooks.attemptLog(webhookId);
    expect(log.map((attempt) => attempt.outcome)).toEqual(['success', 'network', 'timeout', 'http_error']);
    expect(log[3].statusCode).toBe(500);
    expect(log[2].latencyMs).toBeGreaterThanOrEqual(900);
    const metrics = await (await fetch(server.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/webhook_attempts_total\{outcome="timeout"\} 1/);
    expect(metrics).toMatch(/webhook_deliveries_total\{outcome="delivered"\} 1/);
    expect(metrics).toMatch(/^webhook_oldest_pending_age_seconds 0$/m);
  });

  test('a restart between a failure and the recovery loses nothing and keeps the order', async () => {
    const webhookId = await register(['MESSAGE_SENT']);
    const { ana, conversationId } = await conversationPair(server);
    receiver.answers.push(...Array<'500'>(50).fill('500'));
    await send(ana.token, conversationId, 'first');
    await receiver.waitFor(1);
    await send(ana.token, conversationId, 'second');
    await server.stop();
    const failedIds = new Set(receiver.received.map((request) => request.id));
    const failures = receiver.received.length;
    receiver.answers.length = 0;

    server = await startTestServer(ENV);
    const received = await receiver.waitFor(failures + 2);
    const recovered = received.slice(failures);
    expect(recovered.map((request) => request.answer)).toEqual(['ok', 'ok']);
    expect(recovered.map((request) => (request.event.data.message as { content: string }).content)).toEqual(['first', 'second']);
    expect(failedIds.has(recovered[0].id)).toBe(true);
    expect(recovered.every((request) => request.verified)).toBe(true);
    await eventually(async () => (await execute(`select count(*)::int as n from webhook_deliveries where webhook_id = ? and status = 'delivered'`, [webhookId]))[0].n === 2);
  });

  test('recordWebhookEvent delivers with the commit of its transaction, and not after a rollback', async () => {
    await register(['USER_BLOCKED']);
    const [blockerId, blockedId] = [randomUUID(), randomUUID()];
    await expect(
      server.service.orm.em.fork().transactional(async (tx) => {
        await recordWebhookEvent(new EmSql(tx as EntityManager), WebhookEventType.USER_BLOCKED, { blockerId: 'rolled-back', blockedId });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await server.service.orm.em.fork().transactional(async (tx) => {
      await recordWebhookEvent(new EmSql(tx as EntityManager), WebhookEventType.USER_BLOCKED, { blockerId, blockedId });
    });
    const [request] = await receiver.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(1);
    expect(request.verified).toBe(true);
    expect(request.event).toMatchObject({ type: 'USER_BLOCKED', data: { blockerId, blockedId } });

    // The delivery log keeps finished events for 7 days (the prune-delivery-logs job).
    const webhooks = server.service.app.services.webhooks;
    await eventually(async () => (await execute(`select count(*)::int as n from webhook_deliveries where status = 'delivered'`))[0].n === 1);
    expect(await webhooks.pruneFinished()).toBe(0);
    await execute(`update webhook_deliveries set finished_at = now() - interval '8 days'`);
    expect(await webhooks.pruneFinished()).toBe(1);
    expect(await execute(`select id from webhook_attempts`)).toEqual([]);
  });

  test('after deleteWebhook nothing more is sent to it', async () => {
    const webhookId = await register(['MESSAGE_SENT']);
    const { ana, conversationId } = await conversationPair(server);
    receiver.answers.push(...Array<'500'>(50).fill('500'));
    await send(ana.token, conversationId, 'going nowhere');
    await receiver.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const metrics = await (await fetch(server.url.replace('/graphql', '/metrics'))).text();
    expect(Number(/^webhook_oldest_pending_age_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0.4);
    const deleted = await server.request(DeleteWebhookDocument, { id: webhookId }, await server.serviceToken());
    expect(deleted.data!.deleteWebhook).toBe(true);
    // Let an attempt that had started finish, then several retry periods pass.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const count = receiver.received.length;
    await send(ana.token, conversationId, 'after the deletion');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(receiver.received.length).toBe(count);
    expect(await execute(`select id from webhook_deliveries where webhook_id = ?`, [webhookId])).toEqual([]);
  });
});

describe('webhook SSRF protection outside development', () => {
  test('a loopback URL is refused at creation and, registered earlier, before each attempt', async () => {
    await server.stop();
    server = await startTestServer({ ...ENV, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    const refused = await server.request(CreateWebhookDocument, { input: { url: receiver.url, events: ['MESSAGE_SENT'] } }, await server.serviceToken());
    expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
    const localhost = receiver.url.replace('127.0.0.1', 'localhost');
    expect(codes(await server.request(CreateWebhookDocument, { input: { url: localhost, events: ['MESSAGE_SENT'] } }, await server.serviceToken()))).toEqual(['BAD_USER_INPUT']);

    // As if registered while private URLs were allowed.
    const [row] = await execute(`insert into webhooks (url, events, secret) values (?, '{MESSAGE_SENT}', ?) returning id`, [receiver.url, `whsec_${Buffer.alloc(32).toString('base64')}`]);
    const { ana, conversationId } = await conversationPair(server);
    await send(ana.token, conversationId, 'not for loopback');
    await eventually(async () => (await server.service.app.services.webhooks.attemptLog(String(row.id))).some((attempt) => attempt.outcome === 'refused'));
    expect(receiver.received).toEqual([]);
  });
});
