import { randomUUID } from 'node:crypto';
import { MeDocument, PresenceChangedDocument, StartConversationDocument, UserPresenceDocument } from '../generated/graphql';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, metricValue, sleep, waitForSubscriptions, waitUntil, wsUrl } from './realtime-helpers';

/**
 * Presence on one instance (in process, or Redis when REDIS_URL is set): ONLINE while a socket
 * is open, OFFLINE with lastSeenAt after the grace period, seen only by contacts.
 */

const GRACE_MS = 400;
let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ PRESENCE_GRACE_MS: String(GRACE_MS), REDIS_PREFIX: `test:${randomUUID()}:` });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await waitUntil(async () => (await metricValue(server, 'ws_active_subscriptions')) === 0, 'subscriptions to end');
});
afterAll(() => server.stop());

function online(who: Actor): RealtimeClient {
  const client = new RealtimeClient(wsUrl(server), who.token, { lazy: false });
  clients.push(client);
  return client;
}

async function presenceOf(viewer: Actor, conversationId: string) {
  const answer = await server.request(UserPresenceDocument, { id: conversationId }, viewer.token);
  return answer.data!.conversation.otherParticipant.presence;
}

test('contacts see ONLINE when a socket opens and OFFLINE with lastSeenAt after the grace period; others see nothing', async () => {
  const { ana, bo, conversationId } = await conversationPair(server);
  const eve = await actor(server, 'Eve');
  const boWatches = online(bo).subscribe(PresenceChangedDocument, {});
  const eveWatches = online(eve).subscribe(PresenceChangedDocument, {});
  await waitForSubscriptions(server, 'presenceChanged', 2);

  const anaClient = online(ana);
  expect((await boWatches.next()).presenceChanged).toEqual({ userId: ana.id, status: 'ONLINE', lastSeenAt: null });
  expect(await presenceOf(bo, conversationId)).toEqual({ status: 'ONLINE', lastSeenAt: null });

  const closedAt = Date.now();
  await anaClient.dispose();
  const offline = (await boWatches.next(GRACE_MS + 3000)).presenceChanged;
  expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
  expect(offline).toMatchObject({ userId: ana.id, status: 'OFFLINE' });
  expect(Math.abs(Date.parse(offline.lastSeenAt!) - closedAt)).toBeLessThan(1000);
  expect(await presenceOf(bo, conversationId)).toEqual({ status: 'OFFLINE', lastSeenAt: offline.lastSeenAt });

  await sleep(200);
  expect(eveWatches.values).toEqual([]);
});

test('a reconnect within the grace period is no change at all', async () => {
  const { ana, bo } = await conversationPair(server);
  const boWatches = online(bo).subscribe(PresenceChangedDocument, {});
  await waitForSubscriptions(server, 'presenceChanged', 1);
  const first = online(ana);
  await boWatches.next();
  await first.dispose();
  online(ana);
  await sleep(GRACE_MS + 400);
  expect(boWatches.values.map((v) => v.presenceChanged.status)).toEqual(['ONLINE']);
});

test('a conversation started after the subscription adds its new contact', async () => {
  const bo = await actor(server, 'Bo');
  const carl = await actor(server, 'Carl');
  await server.request(MeDocument, {}, carl.token);
  const boWatches = online(bo).subscribe(PresenceChangedDocument, {});
  await waitForSubscriptions(server, 'presenceChanged', 1);

  await server.request(StartConversationDocument, { input: { participantId: carl.id } }, bo.token);
  // The subscription follows Carl once it has handled the CREATED event (one query, one SUBSCRIBE).
  await sleep(300);
  online(carl);
  await boWatches.next();
  expect(boWatches.values.find((v) => v.presenceChanged.userId === carl.id)!.presenceChanged.status).toBe('ONLINE');
});
