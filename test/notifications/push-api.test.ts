import { randomUUID } from 'node:crypto';
import { createFcmTransport, type FcmTransport } from '../../src/push/fcm-transport';
import { PresenceStatus } from '../../src/schema/common/enums';
import {
  AddReactionDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  MeDocument,
  NotifyUserDocument,
  RegisterPushDeviceDocument,
  SendMessageDocument,
  StartConversationDocument,
  UpdateNotificationPreferencesDocument,
} from '../generated/graphql';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { fakeCredential, replies, startFakeFcm, type FakeFcm } from '../push/fake-fcm-server';
import { describeWithRedis, metricValue, RealtimeClient, sleep, waitUntil, wsUrl } from '../realtime-api/realtime-helpers';

/**
 * The whole path through the API: sendMessage -> push decision -> Agenda job in process ->
 * firebase-admin -> the fake FCM on loopback; notifyUser over GraphQL; and presence across two
 * instances sharing Redis.
 */

const WINDOW_MS = 400;
let fcm: FakeFcm;
let transport: FcmTransport;
const servers: TestServer[] = [];

async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer({ PUSH_BATCH_WINDOW_MS: String(WINDOW_MS), JOBS_PROCESS_EVERY_MS: '200', ...env }, { push: transport });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  fcm = await startFakeFcm();
  transport = createFcmTransport({ credential: fakeCredential, projectId: fcm.projectId, appName: `push-api-${process.pid}`, httpAgent: fcm.agent() });
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await transport.close();
  await fcm.close();
});

async function pairWithDevice(server: TestServer, platform: 'IOS' | 'ANDROID' | 'WEB' = 'IOS') {
  const [ana, bo] = await Promise.all([actor(server, 'Ana'), actor(server, 'Bo')]);
  const token = `bo-${randomUUID()}`;
  await server.request(RegisterPushDeviceDocument, { input: { token, platform } }, bo.token);
  const started = await server.request(StartConversationDocument, { input: { participantId: bo.id } }, ana.token);
  return { ana, bo, token, conversationId: started.data!.startConversation.id };
}

const send = (server: TestServer, from: Actor, conversationId: string, content: string) =>
  server.request(SendMessageDocument, { input: { conversationId, content } }, from.token);

describe('one instance', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });

  test('messages to an offline user make one notification per window, sent by the job through FCM', async () => {
    const { ana, token, conversationId } = await pairWithDevice(server);
    for (const content of ['Hi Bo', 'Can you cover Saturday?', 'It pays double']) {
      expect((await send(server, ana, conversationId, content)).errors).toBeUndefined();
    }
    await waitUntil(() => fcm.requestsFor(token).length > 0, 'the push to reach FCM', 5000);
    await sleep(WINDOW_MS + 300);
    const requests = fcm.requestsFor(token);
    expect(requests).toHaveLength(1);
    expect(requests[0].message.notification).toEqual({ title: 'Ana', body: '3 new messages from Ana' });
    expect(requests[0].message.apns.payload.aps).toEqual({ 'thread-id': conversationId, badge: 3, sound: 'default' });
    expect(await metricValue(server, 'job_runs_total', { job: 'deliver-conversation-push', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(server, 'push_notifications_total', { type: 'NEW_MESSAGE', outcome: 'sent' })).toBeGreaterThanOrEqual(1);
  });

  test('edits, reactions and deletions of a message push nothing more', async () => {
    const { ana, token, conversationId } = await pairWithDevice(server);
    const sent = await send(server, ana, conversationId, 'Can you come on Monday?');
    const messageId = sent.data!.sendMessage.id;
    await waitUntil(() => fcm.requestsFor(token).length > 0, 'the push of the message to reach FCM', 5000);
    await sleep(WINDOW_MS + 300);
    expect(fcm.requestsFor(token)).toHaveLength(1);
    expect((await server.request(EditMessageDocument, { input: { messageId, content: 'Can you come on Tuesday?' } }, ana.token)).errors).toBeUndefined();
    expect((await server.request(AddReactionDocument, { messageId, emoji: '🙏' }, ana.token)).errors).toBeUndefined();
    expect((await server.request(DeleteMessageDocument, { messageId }, ana.token)).errors).toBeUndefined();
    await sleep(WINDOW_MS + 800);
    expect(fcm.requestsFor(token)).toHaveLength(1);
  });

  test('a token FCM reports unregistered is removed from push_devices', async () => {
    const { ana, bo, token, conversationId } = await pairWithDevice(server, 'ANDROID');
    fcm.script(token, replies.unregistered());
    await send(server, ana, conversationId, 'hello?');
    await waitUntil(async () => (await metricValue(server, 'push_tokens_deleted_total')) >= 1, 'the token to be deleted', 5000);
    const rows = await server.service.orm.em.fork().execute('select token from push_devices where user_id = ?', [bo.id]);
    expect(rows).toEqual([]);
  });

  test('inside quiet hours nothing is sent; the delivery job waits in Agenda for their end', async () => {
    const { ana, bo, token, conversationId } = await pairWithDevice(server);
    const hhmm = (date: Date) => date.toISOString().slice(11, 16);
    const now = Date.now();
    await server.request(
      UpdateNotificationPreferencesDocument,
      { input: { quietHours: { enabled: true, start: hhmm(new Date(now - 30 * 60_000)), end: hhmm(new Date(now + 90 * 60_000)), timezone: 'UTC' } } },
      bo.token,
    );
    await send(server, ana, conversationId, 'late night');
    await sleep(WINDOW_MS + 500);
    expect(fcm.requestsFor(token)).toHaveLength(0);
    const jobs = await server.service.orm.em.fork().execute(
      `select next_run_at from agenda_jobs where name = 'deliver-conversation-push' and data->>'userId' = ?`,
      [bo.id],
    );
    expect(jobs).toHaveLength(1);
    const at = new Date(jobs[0].next_run_at).getTime();
    expect(at).toBeGreaterThan(now + 89 * 60_000);
    expect(at).toBeLessThanOrEqual(now + 90 * 60_000);
    await server.service.jobs.agenda.cancel({ name: 'deliver-conversation-push', data: { userId: bo.id, conversationId } });
  });

  test('notifyUser: service role only; answers SENT, NO_DEVICE, SUPPRESSED; checks its input', async () => {
    const service = await server.serviceToken();
    const { bo, token } = await pairWithDevice(server, 'WEB');
    const input = { userId: bo.id, type: 'NEW_APPLICATION' as const, title: 'New application', body: 'Ana applied', data: { applicationId: 'a-1' } };

    const asUser = await server.request(NotifyUserDocument, { input }, bo.token);
    expect(asUser.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    expect((await server.request(NotifyUserDocument, { input }, service)).data!.notifyUser.outcome).toBe('SENT');
    expect(fcm.requestsFor(token).map((r) => r.message.data)).toEqual([{ applicationId: 'a-1', type: 'NEW_APPLICATION' }]);

    const carla = await actor(server, 'Carla');
    await server.request(MeDocument, {}, carla.token);
    expect((await server.request(NotifyUserDocument, { input: { ...input, userId: carla.id } }, service)).data!.notifyUser.outcome).toBe('NO_DEVICE');

    await server.request(UpdateNotificationPreferencesDocument, { input: { workAgreementPush: false } }, bo.token);
    const ending = await server.request(NotifyUserDocument, { input: { ...input, type: 'WORK_AGREEMENT_ENDING' } }, service);
    expect(ending.data!.notifyUser.outcome).toBe('SUPPRESSED');

    const bad = await server.request(NotifyUserDocument, { input: { ...input, title: '' } }, service);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describeWithRedis('two instances sharing Redis', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const env = { REDIS_PREFIX: `test:${randomUUID()}:`, PRESENCE_GRACE_MS: '200' };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  });

  const statusOnA = async (userId: string) => (await a.service.app.services.deps.presence.statusOf([userId]))[0];

  test('a recipient connected to the OTHER instance gets no push; once gone, they do', async () => {
    const { ana, bo, token, conversationId } = await pairWithDevice(a);
    const socket = new RealtimeClient(wsUrl(b), bo.token, { lazy: false });
    try {
      await waitUntil(async () => (await statusOnA(bo.id)) === PresenceStatus.ONLINE, 'Bo online as seen from A');
      await send(a, ana, conversationId, 'you are online on B');
      await sleep(WINDOW_MS + 600);
      expect(fcm.requestsFor(token)).toHaveLength(0);
      expect(await metricValue(a, 'push_notifications_total', { type: 'NEW_MESSAGE', outcome: 'online' })).toBeGreaterThanOrEqual(1);
    } finally {
      await socket.dispose();
    }
    await waitUntil(async () => (await statusOnA(bo.id)) === PresenceStatus.OFFLINE, 'Bo offline after the grace period');
    await send(a, ana, conversationId, 'now you are gone');
    await waitUntil(() => fcm.requestsFor(token).length > 0, 'the push to reach FCM', 5000);
    expect(fcm.requestsFor(token).map((r) => r.message.notification.body)).toEqual(['now you are gone']);
  });
});
