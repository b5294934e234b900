import { createFcmTransport, type FcmTransport } from '../../src/push/fcm-transport';
import { DevicePlatform, NotificationOutcome, NotificationType } from '../../src/schema/common/enums';
import { fakeCredential, replies, startFakeFcm, type FakeFcm } from '../push/fake-fcm-server';
import { metricValue, PushHarness } from './push-harness';

/**
 * The notification service through firebase-admin's own code (the FCM transport) against the
 * fake FCM endpoint on loopback: what reaches FCM per platform, token removal on UNREGISTERED,
 * bounded retries on transient failures, nothing sent twice.
 */

let fcm: FakeFcm;
let transport: FcmTransport;
let h: PushHarness;

beforeAll(async () => {
  fcm = await startFakeFcm();
  // HTTP/1.1 through an agent whose connections reach the fake (no global http2 patching).
  transport = createFcmTransport({ credential: fakeCredential, projectId: fcm.projectId, appName: `push-notifications-${process.pid}`, httpAgent: fcm.agent() });
  h = await PushHarness.create({ transport, batchWindowMs: 2000 });
  h.clock.set('2026-09-01T12:00:00Z');
});
afterAll(async () => {
  await h.close();
  await transport.close();
  await fcm.close();
});

test('a batch reaches every platform of the recipient with collapse key, thread id and badge', async () => {
  const ana = await h.user('Ana');
  const bo = await h.user('Bo');
  const [android, ios, web] = [
    await h.device(bo, DevicePlatform.ANDROID, 'bo-android'),
    await h.device(bo, DevicePlatform.IOS, 'bo-ios'),
    await h.device(bo, DevicePlatform.WEB, 'bo-web'),
  ];
  const conversationId = await h.conversation(ana, bo);
  await h.send(ana, conversationId, 'Shift starts at 8');
  await h.send(ana, conversationId, 'Bring your apron 🙂');
  h.clock.advance(2000);
  expect(await h.runDueJobs()).toEqual(['sent']);

  expect(fcm.requests.map((r) => r.token).sort()).toEqual([android, ios, web].sort());
  for (const request of fcm.requests) {
    expect(request.message.notification).toEqual({ title: 'Ana', body: '2 new messages from Ana' });
    expect(request.message.data).toMatchObject({ type: 'NEW_MESSAGE', conversationId, count: '2' });
  }
  expect(fcm.requestsFor(android)[0].message.android).toEqual({
    collapse_key: conversationId,
    priority: 'high',
    notification: { tag: conversationId, notification_count: 2 },
  });
  const apns = fcm.requestsFor(ios)[0].message.apns;
  expect(apns.headers['apns-collapse-id']).toBe(conversationId);
  expect(apns.payload.aps).toEqual({ 'thread-id': conversationId, badge: 2, sound: 'default' });
  expect(fcm.requestsFor(web)[0].message.webpush.notification).toEqual({ tag: conversationId, renotify: true });

  // The job run again sends nothing: the fake sees no new request.
  await h.notifications.deliverConversation(bo, conversationId);
  expect(fcm.requests).toHaveLength(3);
});

test('a token FCM answers UNREGISTERED is deleted; the other devices still get it', async () => {
  const ana = await h.user('Ana');
  const bo = await h.user('Bo');
  const gone = await h.device(bo, DevicePlatform.ANDROID, `gone-${bo}`);
  const kept = await h.device(bo, DevicePlatform.IOS, `kept-${bo}`);
  fcm.script(gone, replies.unregistered());
  const deletedBefore = await metricValue(h.metrics, 'push_tokens_deleted_total');

  const conversationId = await h.conversation(ana, bo);
  await h.send(ana, conversationId, 'hello');
  h.clock.advance(2000);
  await h.runDueJobs();

  expect(fcm.requestsFor(gone)).toHaveLength(1);
  expect(fcm.requestsFor(kept)).toHaveLength(1);
  expect((await h.settings.devices(h.em(), bo)).map((device) => device.token)).toEqual([kept]);
  expect(await metricValue(h.metrics, 'push_tokens_deleted_total')).toBe(deletedBefore + 1);
  expect(await metricValue(h.metrics, 'push_deliveries_total', { transport: 'fcm', outcome: 'invalid_token' })).toBeGreaterThanOrEqual(1);
  const timings = (await h.metrics.pushProviderDuration.get()).values.filter((v) => v.metricName === 'push_provider_duration_seconds_count');
  expect(timings).toEqual([expect.objectContaining({ labels: { transport: 'fcm' } })]);
  expect(timings[0].value).toBeGreaterThanOrEqual(1);
});

test('transient failures are retried up to the bound, without resending to devices that got it', async () => {
  const bo = await h.user('Bo');
  const flaky = await h.device(bo, DevicePlatform.ANDROID, `flaky-${bo}`);
  const steady = await h.device(bo, DevicePlatform.WEB, `steady-${bo}`);
  const down = await h.device(bo, DevicePlatform.IOS, `down-${bo}`);
  fcm.script(flaky, replies.internal());
  fcm.script(down, replies.internal(), replies.quotaExceeded(), replies.internal(), replies.internal());

  expect(
    await h.notifications.notifyUser(h.em(), { userId: bo, type: NotificationType.NEW_REVIEW, title: 'New review', body: '★★★★★ from Ana' }),
  ).toBe(NotificationOutcome.SENT);
  expect(fcm.requestsFor(steady)).toHaveLength(1);
  expect(fcm.requestsFor(flaky)).toHaveLength(2);
  expect(fcm.requestsFor(down)).toHaveLength(3); // the harness allows 3 attempts
  const states = await h.em().execute(
    `select p.token, d.state from push_deliveries d join push_devices p on p.id = d.device_id where p.user_id = ? order by p.token`,
    [bo],
  );
  expect(Object.fromEntries(states.map((row) => [row.token, row.state]))).toEqual({ [down]: 'failed', [flaky]: 'sent', [steady]: 'sent' });
  // The device that failed transiently is kept: only unregistered tokens are removed.
  expect(await h.settings.devices(h.em(), bo)).toHaveLength(3);
});
