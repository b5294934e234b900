import { SetTypingDocument, TypingDocument } from '../generated/graphql';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, metricValue, sleep, waitForSubscriptions, waitUntil, wsUrl } from './realtime-helpers';

/** setTyping and the typing subscription, with the 6 s expiry shortened to TYPING_TIMEOUT_MS. */

const TIMEOUT_MS = 800;
const THROTTLE_MS = 2000;
let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ TYPING_TIMEOUT_MS: String(TIMEOUT_MS), TYPING_THROTTLE_MS: String(THROTTLE_MS) });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await waitUntil(async () => (await metricValue(server, 'ws_active_subscriptions')) === 0, 'subscriptions to end');
});
afterAll(() => server.stop());

function watchTyping(who: Actor, conversationId: string) {
  const client = new RealtimeClient(wsUrl(server), who.token);
  clients.push(client);
  return client.subscribe(TypingDocument, { conversationId });
}

const setTyping = (who: Actor, conversationId: string, isTyping: boolean) =>
  server.request(SetTypingDocument, { conversationId, isTyping }, who.token);

test('typing is shown to the other participant, not echoed to the typist, and ends by itself', async () => {
  const { ana, bo, conversationId } = await conversationPair(server);
  const boSees = watchTyping(bo, conversationId);
  const anaSees = watchTyping(ana, conversationId);
  await waitForSubscriptions(server, 'typing', 2);

  const answer = await setTyping(ana, conversationId, true);
  expect(answer.data).toEqual({ setTyping: true });
  const started = Date.now();
  expect((await boSees.next()).typing).toEqual({ conversationId, userId: ana.id, isTyping: true });
  expect((await boSees.next(TIMEOUT_MS + 1000)).typing).toEqual({ conversationId, userId: ana.id, isTyping: false });
  expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
  expect(anaSees.values).toEqual([]);
});

test('refreshes keep it alive and are throttled; false is published at once', async () => {
  const { ana, bo, conversationId } = await conversationPair(server);
  const boSees = watchTyping(bo, conversationId);
  await waitForSubscriptions(server, 'typing', 1);

  // A keystroke every 200 ms for about twice the timeout: one `true`, no expiry in between.
  for (let i = 0; i < 8; i += 1) {
    await setTyping(ana, conversationId, true);
    await sleep(200);
  }
  expect(boSees.values.map((v) => v.typing.isTyping)).toEqual([true]);
  await setTyping(ana, conversationId, false);
  await boSees.count(2, 500);
  expect(boSees.values.map((v) => v.typing.isTyping)).toEqual([true, false]);
  await sleep(TIMEOUT_MS + 200);
  expect(boSees.values).toHaveLength(2); // no second false from the cancelled timer
});

test('an outsider gets NOT_FOUND from setTyping, and the participants see nothing', async () => {
  const { bo, conversationId } = await conversationPair(server);
  const eve = await actor(server, 'Eve');
  const boSees = watchTyping(bo, conversationId);
  await waitForSubscriptions(server, 'typing', 1);
  for (const isTyping of [true, false]) {
    const answer = await setTyping(eve, conversationId, isTyping);
    expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  }
  await sleep(200);
  expect(boSees.values).toEqual([]);
});
