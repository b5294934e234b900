import { createFcmTransport, type FcmTransport } from '../../src/push/fcm-transport';
import type { PushMessage } from '../../src/push/push-transport';
import { sendWithRetry } from '../../src/push/retry';
import { fakeCredential, replies, startFakeFcm, type FakeFcm } from '../push/fake-fcm-server';

/**
 * Fault 5, the provider half: FCM accepted a push but answered 500 (or the stream reset after
 * the request was written). Such a push may have arrived: it is sent again once at most, and
 * every copy carries the same collapse identity (Android collapse_key and tag, APNs
 * apns-collapse-id, Web Push Topic and tag), so a copy replaces the first instead of adding a
 * second notification. Only what FCM certainly refused (rate, quota) is retried up to the bound.
 * The lease half (a worker dying mid-call) is in test/notifications/push-rules.test.ts.
 */
const noSleep = async () => undefined;
let apps = 0;

function message(token: string, platform: PushMessage['platform']): PushMessage {
  const conversationId = '6f1c2a8e-7c1b-4d4e-9a57-3f0f2b1d9c11';
  return { token, platform, title: 'Ana', body: 'Hi', data: { conversationId }, collapseKey: conversationId, threadId: conversationId, badge: 1 };
}

describe('pushes that FCM may have delivered', () => {
  let fcm: FakeFcm;
  let transport: FcmTransport;

  beforeEach(async () => {
    fcm = await startFakeFcm();
    fcm.interceptHttp2();
    transport = createFcmTransport({ credential: fakeCredential, projectId: fcm.projectId, appName: `faults-push-${(apps += 1)}` });
  });
  afterEach(async () => {
    await transport.close();
    await fcm.close();
    jest.restoreAllMocks();
  });

  test.each(['ANDROID', 'IOS', 'WEB'] as const)('%s: a 500 after acceptance is sent again once, replacing, never four times', async (platform) => {
    fcm.script('accepted-then-500', replies.internal(), replies.internal(), replies.internal(), replies.internal());
    const [result] = await sendWithRetry(transport, [message('accepted-then-500', platform)], { maxAttempts: 4, sleep: noSleep });

    expect(result.outcome).toBe('ambiguous');
    const copies = fcm.requestsFor('accepted-then-500').map((request) => request.message);
    expect(copies).toHaveLength(2);
    const identity = (m: (typeof copies)[number]) =>
      platform === 'ANDROID' ? [m.android.collapse_key, m.android.notification.tag] : platform === 'IOS' ? [m.apns.headers['apns-collapse-id']] : [m.webpush.headers.Topic, m.webpush.notification.tag];
    expect(identity(copies[0]).every((value: unknown) => typeof value === 'string' && value.length > 0)).toBe(true);
    expect(identity(copies[1])).toEqual(identity(copies[0]));
  });

  test('a push FCM refused (quota) is retried up to the bound: it certainly did not arrive', async () => {
    fcm.script('throttled', replies.quotaExceeded(), replies.quotaExceeded());
    const [result] = await sendWithRetry(transport, [message('throttled', 'WEB')], { maxAttempts: 4, sleep: noSleep });
    expect(result.outcome).toBe('sent');
    expect(fcm.requestsFor('throttled')).toHaveLength(3);
  });
});
