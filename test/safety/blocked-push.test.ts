import { randomUUID } from 'node:crypto';
import { createFcmTransport, type FcmTransport } from '../../src/push/fcm-transport';
import { actor, startTestServer, type TestServer } from '../helpers/test-server';
import { fakeCredential, startFakeFcm, type FakeFcm } from '../push/fake-fcm-server';
import { metricValue, sleep, waitUntil } from '../realtime-api/realtime-helpers';
import { BLOCK, gql, SEND, START } from './gql';

/** Nothing is pushed between a blocked pair: also not a batch opened before the block. */
const WINDOW_MS = 400;
let fcm: FakeFcm;
let transport: FcmTransport;
let server: TestServer;

beforeAll(async () => {
  fcm = await startFakeFcm();
  transport = createFcmTransport({ credential: fakeCredential, projectId: fcm.projectId, appName: `blocked-push-${process.pid}`, httpAgent: fcm.agent() });
  server = await startTestServer({ PUSH_BATCH_WINDOW_MS: String(WINDOW_MS), JOBS_PROCESS_EVERY_MS: '200' }, { push: transport });
});
afterAll(async () => {
  await server?.stop();
  await transport.close();
  await fcm.close();
});

test('a message sent just before a block is not pushed; an unblocked pair still is', async () => {
  const pair = async () => {
    const [ana, bo] = await Promise.all([actor(server, 'Ana'), actor(server, 'Bo')]);
    const token = `bo-${randomUUID()}`;
    await gql(server, 'mutation ($input: RegisterPushDeviceInput!) { registerPushDevice(input: $input) { id } }', { input: { token, platform: 'ANDROID' } }, bo.token);
    const started = await gql<{ startConversation: { id: string } }>(server, START, { input: { participantId: bo.id } }, ana.token);
    return { ana, bo, token, conversationId: started.data!.startConversation.id };
  };
  const blocked = await pair();
  const control = await pair();
  expect((await gql(server, SEND, { input: { conversationId: blocked.conversationId, content: 'hi' } }, blocked.ana.token)).errors).toBeUndefined();
  expect((await gql(server, BLOCK, { userId: blocked.ana.id }, blocked.bo.token)).errors).toBeUndefined();
  expect((await gql(server, SEND, { input: { conversationId: control.conversationId, content: 'hi' } }, control.ana.token)).errors).toBeUndefined();

  await waitUntil(() => fcm.requestsFor(control.token).length > 0, 'the control push to reach FCM', 5000);
  await sleep(WINDOW_MS + 400);
  expect(fcm.requestsFor(blocked.token)).toEqual([]);
  expect(await metricValue(server, 'push_notifications_total', { type: 'NEW_MESSAGE', outcome: 'suppressed' })).toBeGreaterThanOrEqual(1);
});
