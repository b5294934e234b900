import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { RealtimeClient, wsUrl } from '../realtime-api/realtime-helpers';

/**
 * Attack 6 (docs/reliability.md): in production, variable errors over HTTP still suggested
 * schema names ("Did you mean ..."), bad variables over WebSocket came back as
 * INTERNAL_SERVER_ERROR, and deeply nested documents answered "Maximum call stack size
 * exceeded". Every client error gets its contract code and a plain message.
 */

let server: TestServer;
let ana: Actor;
beforeAll(async () => {
  server = await startTestServer({ NODE_ENV: 'production' });
  ana = await actor(server, 'Ana');
});
afterAll(() => server.stop());

const START = 'mutation Start($input: StartConversationInput!) { startConversation(input: $input) { id } }';
/** `participantI` is one letter short of a field, so graphql-js suggests the real name. */
const MISSPELT = { input: { participantI: '00000000-0000-4000-8000-000000000000' } };
const NESTED = (depth: number) => `query Deep { ${'me { '.repeat(depth)}id${' }'.repeat(depth)} }`;

test('over HTTP a misspelt input field answers BAD_USER_INPUT without "Did you mean"', async () => {
  const response = await server.raw({ query: START, variables: MISSPELT }, ana.token);
  expect(response.errors?.length).toBeGreaterThan(0);
  for (const error of response.errors!) {
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).not.toMatch(/did you mean/i);
  }
});

test('over WebSocket bad variables answer BAD_USER_INPUT, not INTERNAL_SERVER_ERROR, without suggestions', async () => {
  const client = new RealtimeClient(wsUrl(server), ana.token);
  try {
    const stream = client.subscribeRaw(START, MISSPELT);
    const codes = await stream.errorCodes();
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['BAD_USER_INPUT']));
    for (const error of stream.errors) expect(error.message).not.toMatch(/did you mean|internal server error/i);
  } finally {
    await client.dispose();
  }
});

test.each([
  ['HTTP', 'http'],
  ['WebSocket', 'ws'],
])('over %s a document nested 5,000 deep answers BAD_USER_INPUT with a plain message, never a stack overflow', async (_name, transport) => {
  let errors: { message: string; extensions?: Record<string, unknown> }[];
  if (transport === 'http') {
    errors = (await server.raw({ query: NESTED(5000) }, ana.token)).errors ?? [];
  } else {
    const client = new RealtimeClient(wsUrl(server), ana.token);
    try {
      const stream = client.subscribeRaw(NESTED(5000));
      await stream.errorCodes();
      errors = stream.errors;
    } finally {
      await client.dispose();
    }
  }
  expect(errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  expect(errors[0].message).not.toMatch(/call stack/i);
});
