import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classifyFcmError, createFcmTransport, readServiceAccount, type FcmTransport } from '../../src/push/fcm-transport';
import type { PushMessage } from '../../src/push/push-transport';
import { sendWithRetry } from '../../src/push/retry';
import { fakeCredential, replies, startFakeFcm, type FakeFcm } from './fake-fcm-server';

const noSleep = async () => undefined;

function message(token: string, platform: PushMessage['platform'], overrides: Partial<PushMessage> = {}): PushMessage {
  return {
    token,
    platform,
    title: 'Ana',
    body: 'Are you free tomorrow?',
    data: { conversationId: 'conv-1', messageId: 'msg-9', type: 'NEW_MESSAGE' },
    collapseKey: 'conv-1',
    threadId: 'conv-1',
    badge: 3,
    ...overrides,
  };
}

let appCounter = 0;
const nextAppName = () => `fcm-test-${process.pid}-${(appCounter += 1)}`;

describe.each([
  { transportName: 'HTTP/2 (firebase-admin default)', http1: false, httpVersion: '2.0' },
  { transportName: 'HTTP/1.1 (httpAgent given)', http1: true, httpVersion: '1.1' },
])('FCM transport over $transportName against a fake FCM', ({ http1, httpVersion }) => {
  let fcm: FakeFcm;
  let transport: FcmTransport;

  beforeEach(async () => {
    fcm = await startFakeFcm();
    if (!http1) fcm.interceptHttp2();
    transport = createFcmTransport({
      credential: fakeCredential,
      projectId: fcm.projectId,
      appName: nextAppName(),
      ...(http1 ? { httpAgent: fcm.agent() } : {}),
    });
  });

  afterEach(async () => {
    await transport.close();
    await fcm.close();
    jest.restoreAllMocks();
  });

  it('sends one request per device with the collapse, thread and badge fields of its platform', async () => {
    const results = await transport.send([
      message('android-1', 'ANDROID'),
      message('ios-1', 'IOS'),
      message('web-1', 'WEB'),
    ]);

    expect(results.map((r) => [r.token, r.outcome])).toEqual([
      ['android-1', 'sent'],
      ['ios-1', 'sent'],
      ['web-1', 'sent'],
    ]);
    for (const result of results) expect(result.providerMessageId).toMatch(/^projects\/demo-project\/messages\/\d+$/);

    expect(fcm.requests).toHaveLength(3);
    for (const request of fcm.requests) {
      expect(request.path).toBe('/v1/projects/demo-project/messages:send');
      expect(request.httpVersion).toBe(httpVersion);
      expect(request.authorization).toBe('Bearer fake-access-token');
      expect(request.message.notification).toEqual({ title: 'Ana', body: 'Are you free tomorrow?' });
      expect(request.message.data).toEqual({ conversationId: 'conv-1', messageId: 'msg-9', type: 'NEW_MESSAGE' });
    }

    const android = fcm.requestsFor('android-1')[0].message;
    expect(android.android).toEqual({
      collapse_key: 'conv-1',
      priority: 'high',
      notification: { tag: 'conv-1', notification_count: 3 },
    });
    expect(android.apns).toBeUndefined();
    expect(android.webpush).toBeUndefined();

    const ios = fcm.requestsFor('ios-1')[0].message;
    expect(ios.apns.headers).toEqual({ 'apns-collapse-id': 'conv-1', 'apns-push-type': 'alert', 'apns-priority': '10' });
    expect(ios.apns.payload.aps).toEqual({ 'thread-id': 'conv-1', badge: 3, sound: 'default' });
    expect(ios.android).toBeUndefined();

    const web = fcm.requestsFor('web-1')[0].message;
    expect(web.webpush).toEqual({ headers: { Urgency: 'high', Topic: 'conv-1' }, notification: { tag: 'conv-1', renotify: true } });
  });

  it('answers invalid_token for an unregistered or malformed token, and error for a bad payload', async () => {
    fcm.script('gone', replies.unregistered());
    fcm.script('garbled', replies.invalidToken());
    fcm.script('bad-payload', replies.invalidPayload());

    const results = await transport.send([
      message('gone', 'ANDROID'),
      message('ok', 'IOS'),
      message('garbled', 'WEB'),
      message('bad-payload', 'ANDROID'),
    ]);

    expect(results.map((r) => r.outcome)).toEqual(['invalid_token', 'sent', 'invalid_token', 'error']);
    expect(results[0].error).toMatch(/^messaging\/registration-token-not-registered/);
    expect(results[2].error).toMatch(/^messaging\/invalid-argument: The registration token is not a valid/);
    expect(results[3].error).toMatch(/^messaging\/invalid-argument/);
  });

  it('sends again only the device that failed transiently (500 INTERNAL), never the ones already sent', async () => {
    fcm.script('flaky', replies.internal());

    const results = await sendWithRetry(
      transport,
      [message('steady', 'ANDROID'), message('flaky', 'IOS'), message('web', 'WEB')],
      { sleep: noSleep },
    );

    expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent', 'sent']);
    expect(fcm.requestsFor('steady')).toHaveLength(1);
    expect(fcm.requestsFor('flaky')).toHaveLength(2);
    expect(fcm.requestsFor('web')).toHaveLength(1);
  });

  it('reports 503 UNAVAILABLE with a long Retry-After as ambiguous (maybe delivered), sent again once via sendWithRetry', async () => {
    fcm.script('busy', replies.unavailable(120));
    fcm.script('gone', replies.unregistered());
    const sleeps: number[] = [];

    const first = await transport.send([message('busy', 'ANDROID')]);
    expect(first[0].outcome).toBe('ambiguous');
    expect(first[0].error).toMatch(/^messaging\/server-unavailable/);

    fcm.script('busy', replies.unavailable(120));
    const results = await sendWithRetry(
      transport,
      [message('other', 'IOS'), message('busy', 'ANDROID'), message('gone', 'WEB')],
      { sleep: async (ms) => void sleeps.push(ms) },
    );

    expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent', 'invalid_token']);
    expect(sleeps).toHaveLength(1);
    expect(fcm.requestsFor('other')).toHaveLength(1);
    expect(fcm.requestsFor('gone')).toHaveLength(1);
    expect(fcm.requestsFor('busy')).toHaveLength(3);
  });

  it('lets firebase-admin absorb a 503 without Retry-After: it resends at once by itself', async () => {
    fcm.script('busy', replies.unavailable());

    const results = await transport.send([message('busy', 'ANDROID')]);

    expect(results[0].outcome).toBe('sent');
    expect(fcm.requestsFor('busy')).toHaveLength(2);
  });

  it('gives up after maxAttempts on a device that stays over quota', async () => {
    fcm.script('throttled', replies.quotaExceeded(), replies.quotaExceeded(), replies.quotaExceeded());

    const results = await sendWithRetry(transport, [message('throttled', 'ANDROID'), message('fine', 'WEB')], {
      maxAttempts: 3,
      sleep: noSleep,
    });

    expect(results.map((r) => r.outcome)).toEqual(['transient_error', 'sent']);
    expect(results[0].error).toMatch(/^messaging\/message-rate-exceeded/);
    expect(fcm.requestsFor('throttled')).toHaveLength(3);
    expect(fcm.requestsFor('fine')).toHaveLength(1);
  });

  it('answers an empty list without calling FCM', async () => {
    await expect(transport.send([])).resolves.toEqual([]);
    expect(fcm.requests).toHaveLength(0);
  });

  it('reports a message firebase-admin refuses to build as error (not invalid_token), the others sent', async () => {
    const results = await transport.send([
      message('bad-data', 'ANDROID', { data: { count: 3 as unknown as string } }),
      message('fine', 'ANDROID'),
    ]);

    expect(results.map((r) => r.outcome)).toEqual(['error', 'sent']);
    expect(results[0].error).toMatch(/^messaging\/invalid-payload: data must only contain string values/);
    expect(fcm.requestsFor('bad-data')).toHaveLength(0);
  });

  if (!http1) {
    it('treats a reset HTTP/2 stream as transient and sends that device again', async () => {
      fcm.script('reset-me', 'reset');

      const results = await sendWithRetry(transport, [message('reset-me', 'IOS'), message('fine', 'WEB')], {
        sleep: noSleep,
      });

      expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent']);
      expect(fcm.requestsFor('reset-me')).toHaveLength(2);
      expect(fcm.requestsFor('fine')).toHaveLength(1);
    });
  }
});

describe('createFcmTransport', () => {
  let dir: string;
  const transports: FcmTransport[] = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fcm-sa-'));
  });

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  function serviceAccountJson(): string {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return JSON.stringify({
      type: 'service_account',
      project_id: 'sa-project',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: 'push@sa-project.iam.gserviceaccount.com',
    });
  }

  it('initializes a named app from service account JSON or a file path, without signing in', async () => {
    const json = serviceAccountJson();
    const file = path.join(dir, 'sa.json');
    writeFileSync(file, json);

    const fromJson = createFcmTransport({ serviceAccount: json, appName: nextAppName() });
    const fromFile = createFcmTransport({ serviceAccount: file, appName: nextAppName() });
    transports.push(fromJson, fromFile);

    expect(fromJson.name).toBe('fcm');
    expect(fromJson.app.options.projectId).toBe('sa-project');
    expect(fromFile.app.options.projectId).toBe('sa-project');
  });

  it('refuses a second app with the same name until the first is closed', async () => {
    const appName = nextAppName();
    const first = createFcmTransport({ credential: fakeCredential, projectId: 'p', appName });
    expect(() => createFcmTransport({ credential: fakeCredential, projectId: 'p', appName })).toThrow(/already exists/);
    await first.close();
    await first.close();
    const second = createFcmTransport({ credential: fakeCredential, projectId: 'p', appName });
    transports.push(second);
  });

  it('needs a project id and a credential', () => {
    expect(() => createFcmTransport({ credential: fakeCredential, appName: nextAppName() })).toThrow(/projectId/);
    expect(() => createFcmTransport({ projectId: 'p', appName: nextAppName() })).toThrow(/credential/);
  });

  it('reads FIREBASE_SERVICE_ACCOUNT without echoing its content in errors', () => {
    const secret = '{"private_key": "-----BEGIN PRIVATE KEY-----SECRETSECRET", broken';
    expect(() => readServiceAccount(secret)).toThrow('FIREBASE_SERVICE_ACCOUNT: the value is not valid JSON');
    expect(() => readServiceAccount('{"client_email": "x"}')).toThrow(/no "project_id"/);
    expect(() => readServiceAccount(path.join(dir, 'missing.json'))).toThrow(/cannot read file .*ENOENT/);
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, secret);
    expect(() => readServiceAccount(file)).toThrow(/is not valid JSON$/);
  });
});

describe('classifyFcmError', () => {
  it.each([
    ['messaging/registration-token-not-registered', '', 'invalid_token'],
    ['messaging/invalid-registration-token', '', 'invalid_token'],
    ['messaging/invalid-argument', 'The registration token is not a valid FCM registration token', 'invalid_token'],
    ['messaging/invalid-argument', 'Invalid JSON payload received.', 'error'],
    ['messaging/internal-error', '', 'ambiguous'],
    ['messaging/server-unavailable', '', 'ambiguous'],
    ['messaging/unavailable', '', 'ambiguous'],
    ['messaging/message-rate-exceeded', '', 'transient_error'],
    ['messaging/device-message-rate-exceeded', '', 'transient_error'],
    ['messaging/quota-exceeded', '', 'transient_error'],
    ['app/network-error', 'connect ECONNREFUSED 127.0.0.1:443', 'transient_error'],
    ['app/network-error', 'socket hang up (ECONNRESET)', 'ambiguous'],
    ['app/network-timeout', '', 'ambiguous'],
    ['messaging/third-party-auth-error', '', 'error'],
    ['messaging/mismatched-credential', '', 'error'],
    ['app/invalid-credential', '', 'error'],
  ])('%s %s -> %s', (code, text, outcome) => {
    expect(classifyFcmError(code, text)).toBe(outcome);
  });
});
