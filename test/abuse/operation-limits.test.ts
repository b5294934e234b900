import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ArchiveConversationDocument, MeDocument, PushDevicesDocument, RegisterPushDeviceDocument, SetTypingDocument, StartConversationDocument, UnarchiveConversationDocument } from '../generated/graphql';
import { actor, codes, conversationPair, describeWithRedis, startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, wsUrl } from '../realtime-api/realtime-helpers';
import { deleteKeys, timed, uniquePrefix } from './abuse-helpers';

/**
 * Attack 3 (docs/reliability.md): only sends were limited. Every operation class now has a
 * per-user limit in Redis (shared by instances), answered RATE_LIMITED with retryAfterSeconds;
 * a flooding socket is closed with 4429; failed logins count per client address, which a
 * client cannot forge through X-Forwarded-For unless TRUST_PROXY says so.
 */

const prefix = uniquePrefix('ops');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    REDIS_PREFIX: prefix,
    RATE_LIMITS: 'read=20/60,write=200/60,fanout=2/60,conversationStart=4/3600,strangerStart=2/3600,typing=3/60,deviceRegistration=30/3600,failedLogin=3/300',
    WS_MAX_MESSAGES_PER_SECOND: '50',
  });
});
afterAll(async () => {
  await server.stop();
  await deleteKeys(prefix);
});

const retryAfter = (result: { errors?: { extensions?: Record<string, unknown> }[] }) => Number(result.errors?.[0]?.extensions?.retryAfterSeconds);

describeWithRedis('per-user limits of every operation class', () => {
  test('reads: the 21st query in a minute is RATE_LIMITED (429, Retry-After); another user is not affected', async () => {
    const [flooder, other] = await Promise.all([actor(server, 'Flo'), actor(server, 'Otto')]);
    const answers = await Promise.all(Array.from({ length: 25 }, () => server.request(MeDocument, {}, flooder.token)));
    const refused = answers.filter((answer) => codes(answer)?.[0] === 'RATE_LIMITED');
    expect(refused).toHaveLength(5);
    expect(refused[0].status).toBe(429);
    expect(retryAfter(refused[0])).toBeGreaterThan(0);
    expect(refused[0].data ?? null).toBeNull();
    const otherAnswer = await server.request(MeDocument, {}, other.token);
    expect(otherAnswer.data?.me.id).toBe(other.id);
  });

  test('/healthz and other users stay fast while one user floods (measured, loosely bounded)', async () => {
    const [flooder, other] = await Promise.all([actor(server, 'Flo'), actor(server, 'Otto')]);
    const flood = Promise.all(Array.from({ length: 200 }, () => server.request(MeDocument, {}, flooder.token)));
    const healthMs = await timed(async () => expect((await fetch(server.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200));
    const otherMs = await timed(async () => expect((await server.request(MeDocument, {}, other.token)).data?.me.id).toBe(other.id));
    const answers = await flood;
    expect(answers.filter((answer) => codes(answer)?.[0] === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(180);
    process.stdout.write(`during a 200-request flood: /healthz ${healthMs.toFixed(0)} ms, another user's query ${otherMs.toFixed(0)} ms\n`);
    expect(healthMs).toBeLessThan(2000);
    expect(otherMs).toBeLessThan(2000);
  });

  test('archive/unarchive (they fan out to every subscription) have their own, stricter limit', async () => {
    const { ana, conversationId } = await conversationPair(server);
    expect(codes(await server.request(ArchiveConversationDocument, { id: conversationId }, ana.token))).toBeUndefined();
    expect(codes(await server.request(UnarchiveConversationDocument, { id: conversationId }, ana.token))).toBeUndefined();
    const third = await server.request(ArchiveConversationDocument, { id: conversationId }, ana.token);
    expect(codes(third)).toEqual(['RATE_LIMITED']);
    expect(third.errors?.[0].extensions?.limit).toBe('fanout');
  });

  test('conversation starts: 300 conversations with one victim (varying jobApplicationId) stop at the limit', async () => {
    const [attacker, victim] = await Promise.all([actor(server, 'Mal'), actor(server, 'Vic')]);
    await server.request(MeDocument, {}, victim.token);
    const starts = [];
    for (let i = 0; i < 6; i += 1) starts.push(await server.request(StartConversationDocument, { input: { participantId: victim.id, jobApplicationId: `job-${i}` } }, attacker.token));
    expect(starts.map((answer) => codes(answer)?.[0] ?? 'OK')).toEqual(['OK', 'OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  test('strangers: a stricter limit on people one never talked to; known contacts are not strangers', async () => {
    const starter = await actor(server, 'Sam');
    const strangers = await Promise.all([1, 2, 3].map((i) => actor(server, `Stranger ${i}`)));
    await Promise.all(strangers.map((stranger) => server.request(MeDocument, {}, stranger.token)));
    const start = (participantId: string, jobApplicationId?: string) => server.request(StartConversationDocument, { input: { participantId, jobApplicationId } }, starter.token);
    expect(codes(await start(strangers[0].id))).toBeUndefined();
    expect(codes(await start(strangers[1].id))).toBeUndefined();
    // A second conversation with a known contact is no stranger start.
    expect(codes(await start(strangers[0].id, 'second-job'))).toBeUndefined();
    const third = await start(strangers[2].id);
    expect(codes(third)).toEqual(['RATE_LIMITED']);
    expect(third.errors?.[0].extensions?.limit).toBe('strangerStart');
  });

  test('typing has its own limit', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await server.request(SetTypingDocument, { conversationId, isTyping: i % 2 === 0 }, ana.token));
    expect(answers.map((answer) => codes(answer)?.[0] ?? 'OK')).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED']);
  });

  test('push devices: at most 20 per user (the oldest replaced), and registrations are limited', async () => {
    const user = await actor(server, 'Dev');
    const tokens = Array.from({ length: 25 }, () => `device-${randomUUID()}`);
    for (const token of tokens) expect(codes(await server.request(RegisterPushDeviceDocument, { input: { token, platform: 'ANDROID' as never } }, user.token))).toBeUndefined();
    const devices = await server.request(PushDevicesDocument, {}, user.token);
    expect(devices.data?.pushDevices).toHaveLength(20);
    const more = [];
    for (let i = 0; i < 6; i += 1) more.push(await server.request(RegisterPushDeviceDocument, { input: { token: `device-${randomUUID()}`, platform: 'IOS' as never } }, user.token));
    expect(more.map((answer) => codes(answer)?.[0] ?? 'OK')).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'RATE_LIMITED']);
  });

  test('over WebSocket a subscription start counts as a read', async () => {
    const user = await actor(server, 'Wes');
    for (let i = 0; i < 20; i += 1) await server.request(MeDocument, {}, user.token);
    const client = new RealtimeClient(wsUrl(server), user.token);
    try {
      const stream = client.subscribeRaw('subscription { conversationEvent { kind } }');
      expect(await stream.errorCodes()).toEqual(['RATE_LIMITED']);
    } finally {
      await client.dispose();
    }
  });
});

describe('graphql-ws message rate per socket', () => {
  test('a socket flooding pings is closed with 4429; /healthz answers meanwhile', async () => {
    const user = await actor(server, 'Pinger');
    const socket = new WebSocket(wsUrl(server), 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } }));
    await new Promise((resolve) => socket.once('message', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    for (let i = 0; i < 5000 && socket.readyState === WebSocket.OPEN; i += 1) socket.send(JSON.stringify({ type: 'ping' }));
    const healthMs = await timed(async () => expect((await fetch(server.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200));
    expect(await closed).toBe(4429);
    process.stdout.write(`during a ping flood: /healthz ${healthMs.toFixed(0)} ms\n`);
    expect(healthMs).toBeLessThan(2000);
  });
});

describe('requests of one user running at once', () => {
  const concurrencyPrefix = uniquePrefix('concurrency');
  let capped: TestServer;
  beforeAll(async () => {
    capped = await startTestServer({ REDIS_PREFIX: concurrencyPrefix, HTTP_MAX_CONCURRENT_PER_USER: '4' });
  });
  afterAll(async () => {
    await capped.stop();
    await deleteKeys(concurrencyPrefix);
  });

  test('60 concurrent requests of one token: the ones over the cap answer RATE_LIMITED at once, another user is served', async () => {
    const [flooder, other] = await Promise.all([actor(capped, 'Flo'), actor(capped, 'Otto')]);
    await capped.request(MeDocument, {}, flooder.token);
    const flood = Promise.all(Array.from({ length: 60 }, () => capped.request(MeDocument, {}, flooder.token)));
    const otherMs = await timed(async () => expect((await capped.request(MeDocument, {}, other.token)).data?.me.id).toBe(other.id));
    const answers = await flood;
    const refused = answers.filter((answer) => answer.errors?.[0]?.extensions?.limit === 'concurrency');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].status).toBe(429);
    expect(answers.filter((answer) => answer.data?.me).length).toBeGreaterThanOrEqual(4);
    process.stdout.write(`during 60 concurrent requests of one user: another user's query ${otherMs.toFixed(0)} ms\n`);
    expect(otherMs).toBeLessThan(2000);
  });
});

// Last: it blocks 127.0.0.1, the address of every other test of this file.
describeWithRedis('failed logins', () => {
  test('failed logins per address: past the limit RATE_LIMITED, and a forged X-Forwarded-For does not help (TRUST_PROXY off)', async () => {
    const bad = { query: '{ me { id } }' };
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await server.raw(bad, 'not-a-token', { 'x-forwarded-for': `203.0.113.${i}` }));
    expect(answers.map((answer) => codes(answer)?.[0])).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(retryAfter(answers[3])).toBeGreaterThan(0);
  });

  test('with TRUST_PROXY set, the address comes from X-Forwarded-For (one proxy hop)', async () => {
    const proxiedPrefix = uniquePrefix('proxied');
    const proxied = await startTestServer({ REDIS_PREFIX: proxiedPrefix, TRUST_PROXY: '1', RATE_LIMITS: 'failedLogin=1/300' });
    try {
      const attempt = (address: string) => proxied.raw({ query: '{ me { id } }' }, 'not-a-token', { 'x-forwarded-for': address });
      expect(codes(await attempt('198.51.100.1'))).toEqual(['UNAUTHENTICATED']);
      expect(codes(await attempt('198.51.100.1'))).toEqual(['RATE_LIMITED']);
      // Another client behind the same proxy is not blocked by the first one's failures.
      expect(codes(await attempt('198.51.100.2'))).toEqual(['UNAUTHENTICATED']);
    } finally {
      await proxied.stop();
      await deleteKeys(proxiedPrefix);
    }
  });
});
