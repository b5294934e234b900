import { RealtimeClient, wsUrl } from '../realtime-api/realtime-helpers';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';

/**
 * Attack 1 (docs/reliability.md): a fragment "bomb" (14 fragments, each spreading the previous
 * one twice) made the cost estimator throw, and the operation then ran without a cost limit.
 * An operation whose cost cannot be computed is refused, over HTTP and WebSocket alike.
 */

/** `me { ...F13 }` where F(i) spreads F(i-1) twice: 2^14 selections from 600 bytes. */
function fragmentBomb(levels = 14): string {
  const fragments = ['fragment F0 on User { id displayName }'];
  for (let i = 1; i < levels; i += 1) fragments.push(`fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`);
  return `query Bomb { me { ...F${levels - 1} } }\n${fragments.join('\n')}`;
}

let server: TestServer;
let ana: Actor;

beforeAll(async () => {
  server = await startTestServer();
  ana = await actor(server, 'Ana');
});
afterAll(() => server.stop());

test('the bomb is small', () => {
  expect(fragmentBomb().length).toBeLessThan(700);
});

test('over HTTP the bomb is refused with BAD_USER_INPUT (COST_LIMIT) and runs nothing', async () => {
  const response = await server.raw({ query: fragmentBomb() }, ana.token);
  expect(response.data ?? null).toBeNull();
  expect(response.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([['BAD_USER_INPUT', 'COST_LIMIT']]);
});

test('over WebSocket the bomb is refused the same way', async () => {
  const client = new RealtimeClient(wsUrl(server), ana.token);
  try {
    const stream = client.subscribeRaw(fragmentBomb());
    expect(await stream.errorCodes()).toEqual(['BAD_USER_INPUT']);
    expect(stream.values).toEqual([]);
    expect(stream.errors[0].extensions?.reason).toBe('COST_LIMIT');
  } finally {
    await client.dispose();
  }
});

test('a smaller spread tree within the limits still runs (fragments are costed, not banned)', async () => {
  const response = await server.raw({ query: fragmentBomb(6) }, ana.token);
  expect(response.errors).toBeUndefined();
  expect(response.data).toEqual({ me: { id: ana.id, displayName: 'Ana' } });
});

test('bad variables are still reported as such, not as a cost error', async () => {
  const response = await server.raw({ query: 'query Page($n: Int!) { conversations(first: $n) { edges { node { id } } } }', variables: { n: 'many' } }, ana.token);
  expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(response.errors?.[0].extensions?.reason).not.toBe('COST_LIMIT');
});
