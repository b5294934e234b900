import { getIntrospectionQuery } from 'graphql';
import { LIMITS } from '../../src/config';
import { MeDocument } from '../generated/graphql';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';

/**
 * Every abuse limit of LIMITS (src/config.ts) and of the transport, against a real server.
 * Rejected operations never reach a resolver: they are refused at validation (or earlier)
 * with a contract code.
 */

let server: TestServer;
let ana: Actor;

beforeAll(async () => {
  server = await startTestServer();
  ana = await actor(server, 'Ana');
});
afterAll(() => server.stop());

type RawResponse = Awaited<ReturnType<TestServer['raw']>>;

function codes(response: { errors?: { extensions?: Record<string, unknown> }[] }): unknown[] {
  return (response.errors ?? []).map((e) => e.extensions?.code);
}

function expectRefused(response: RawResponse, pattern: RegExp): void {
  expect(response.data ?? null).toBeNull();
  expect(response.errors?.length).toBeGreaterThan(0);
  expect(codes(response)).toEqual(response.errors!.map(() => 'BAD_USER_INPUT'));
  expect(response.errors!.map((e) => e.message).join('\n')).toMatch(pattern);
}

/** `me { ... }` nested through `conversation`/`lastMessage` until the selection is `depth` deep. */
function queryOfDepth(depth: number): string {
  // Depth counts fields: conversations(1) edges(2) node(3), then lastMessage(4) conversation(5)
  // lastMessage(6) ... alternating, and `id` as the leaf.
  let inner = 'id';
  let level = depth - 1; // the leaf `id` is one level
  const chain: string[] = [];
  while (level > 3) {
    chain.push(chain.length % 2 === 0 ? 'lastMessage' : 'conversation');
    level -= 1;
  }
  for (const field of chain.reverse()) inner = `${field} { ${inner} }`;
  return `query Deep { conversations { edges { node { ${inner} } } } }`;
}

describe('depth', () => {
  test(`a query ${LIMITS.maxDepth} levels deep passes`, async () => {
    const response = await server.raw({ query: queryOfDepth(LIMITS.maxDepth) }, ana.token);
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ conversations: { edges: [] } });
  });

  test(`a query ${LIMITS.maxDepth + 1} levels deep is refused with BAD_USER_INPUT`, async () => {
    const response = await server.raw({ query: queryOfDepth(LIMITS.maxDepth + 1) }, ana.token);
    expectRefused(response, /depth limit of 10 exceeded, found 11/i);
  });

  test('fragments do not hide depth', async () => {
    // The same 11 levels, with the middle of the chain inside a fragment.
    const query = `
      query DeepFragments { conversations { edges { node { ...C } } } }
      fragment C on Conversation { lastMessage { conversation { lastMessage { conversation { lastMessage { conversation { lastMessage { id } } } } } } } }
    `;
    expectRefused(await server.raw({ query }, ana.token), /depth limit/i);
  });
});

describe('aliases', () => {
  const withAliases = (n: number) =>
    `query Aliased { ${Array.from({ length: n }, (_, i) => `a${i}: unreadTotal`).join(' ')} }`;

  test(`${LIMITS.maxAliases} aliases pass`, async () => {
    const response = await server.raw({ query: withAliases(LIMITS.maxAliases) }, ana.token);
    expect(response.errors).toBeUndefined();
    expect(Object.keys(response.data ?? {})).toHaveLength(LIMITS.maxAliases);
  });

  test(`${LIMITS.maxAliases + 1} aliases are refused`, async () => {
    expectRefused(await server.raw({ query: withAliases(LIMITS.maxAliases + 1) }, ana.token), /aliases limit of 15 exceeded/i);
  });
});

describe('directives', () => {
  const withDirectives = (n: number) =>
    // One directive per inline fragment: a field may carry @include only once.
    `query Directed { me { id ${Array.from({ length: n }, () => '... @include(if: true) { id }').join(' ')} } }`;

  test(`${LIMITS.maxDirectives} directives pass`, async () => {
    const response = await server.raw({ query: withDirectives(LIMITS.maxDirectives) }, ana.token);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ me: { id: ana.id } });
  });

  test(`${LIMITS.maxDirectives + 1} directives are refused`, async () => {
    expectRefused(await server.raw({ query: withDirectives(LIMITS.maxDirectives + 1) }, ana.token), /directives limit of 20 exceeded/i);
  });
});

describe('cost', () => {
  const nested = (outer: number, inner: number) => `
    query Costly {
      conversations(first: ${outer}) {
        edges { node { id status unreadCount
          messages(first: ${inner}) { edges { node { id content sequence createdAt sender { id displayName } } } }
        } }
      }
    }`;

  test('nested connections within the cost budget pass', async () => {
    const response = await server.raw({ query: nested(2, 5) }, ana.token);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ conversations: { edges: [] } });
  });

  test(`nested connections of 100 x 100 are refused (cost over ${LIMITS.maxCost})`, async () => {
    expectRefused(await server.raw({ query: nested(100, 100) }, ana.token), new RegExp(`cost limit of ${LIMITS.maxCost} exceeded`, 'i'));
  });

  test('breadth counts too: repeated selections without page sizes are refused', async () => {
    // Identical fields merge at execution, so no alias is needed; the cost still counts each
    // (a default page of 20 conversations at about 19 units each is some 380 units a copy).
    const one = 'conversations { edges { node { id status participants { id displayName avatarUrl presence { status lastSeenAt } } lastMessage { id content sender { id displayName } } } } }';
    const query = (n: number) => `query Wide { ${Array.from({ length: n }, () => one).join(' ')} }`;
    const within = await server.raw({ query: query(5) }, ana.token);
    expect(within.errors).toBeUndefined();
    expectRefused(await server.raw({ query: query(100) }, ana.token), /cost limit/i);
  });

  test('page sizes passed as variables count like literals', async () => {
    const query = `query Costly($outer: Int, $inner: Int) {
      conversations(first: $outer) { edges { node { id messages(first: $inner) { edges { node { id content sender { id } } } } } } }
    }`;
    const small = await server.raw({ query, variables: { outer: 2, inner: 5 } }, ana.token);
    expect(small.errors).toBeUndefined();
    expectRefused(await server.raw({ query, variables: { outer: 100, inner: 100 } }, ana.token), /cost limit/i);
  });

  test('the heaviest everyday page passes: 100 conversations with every field', async () => {
    const user = 'id displayName avatarUrl presence { status lastSeenAt }';
    const message = `id sequence type content metadata createdAt readAt sender { ${user} } image { id status width height thumbnailUrl previewUrl originalUrl }`;
    const query = `{ conversations(first: 100) { totalCount edges { cursor node { id status unreadCount participants { ${user} } otherParticipant { ${user} } lastMessage { ${message} } } } } }`;
    const response = await server.raw({ query }, ana.token);
    expect(response.errors).toBeUndefined();
  });
});

describe('transport', () => {
  test(`a body over ${LIMITS.maxBodyBytes} bytes answers 413 PAYLOAD_TOO_LARGE`, async () => {
    const padding = 'x'.repeat(LIMITS.maxBodyBytes + 1);
    const response = await server.raw({ query: '{ unreadTotal }', variables: { padding } }, ana.token);
    expect(response.status).toBe(413);
    expect(codes(response)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  test('a body just under the cap is accepted', async () => {
    const body = JSON.stringify({ query: 'query Padded { unreadTotal }', variables: { padding: '' } });
    const padding = 'x'.repeat(LIMITS.maxBodyBytes - body.length - 10);
    const response = await server.raw({ query: 'query Padded { unreadTotal }', variables: { padding } }, ana.token);
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ unreadTotal: 0 });
  });

  test('a batched request (JSON array) is refused', async () => {
    const response = await server.raw([{ query: '{ unreadTotal }' }, { query: '{ unreadTotal }' }], ana.token);
    expect(response.status).toBe(400);
    expect(Array.isArray(response)).toBe(false);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0].message).toMatch(/batching/i);
  });

  test(`first: ${LIMITS.maxPageSize + 1} is refused with BAD_USER_INPUT, first: ${LIMITS.maxPageSize} passes`, async () => {
    const over = await server.raw({ query: `query Page { conversations(first: ${LIMITS.maxPageSize + 1}) { totalCount } }` }, ana.token);
    expect(codes(over)).toEqual(['BAD_USER_INPUT']);
    expect(over.data ?? null).toBeNull();
    const negative = await server.raw({ query: 'query Page { conversations(first: -1) { totalCount } }' }, ana.token);
    expect(codes(negative)).toEqual(['BAD_USER_INPUT']);
    const max = await server.raw({ query: `query Page { conversations(first: ${LIMITS.maxPageSize}) { totalCount } }` }, ana.token);
    expect(max.errors).toBeUndefined();
    expect(max.data).toEqual({ conversations: { totalCount: 0 } });
  });

  test('a page size over the cap on messages is refused as well', async () => {
    // Nested connection: reached only with a conversation, so start one.
    const carl = await actor(server, 'Carl');
    const bo = await actor(server, 'Bo');
    await server.raw({ query: '{ me { id } }' }, bo.token);
    const started = await server.raw(
      { query: 'mutation Start($id: ID!) { startConversation(input: { participantId: $id }) { id } }', variables: { id: bo.id } },
      carl.token,
    );
    const id = (started.data as unknown as { startConversation: { id: string } }).startConversation.id;
    for (const args of [`first: ${LIMITS.maxPageSize + 1}`, `last: ${LIMITS.maxPageSize + 1}`]) {
      const response = await server.raw(
        { query: `query Msgs($id: ID!) { conversation(id: $id) { messages(${args}) { edges { cursor } } } }`, variables: { id } },
        carl.token,
      );
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('CSRF prevention', () => {
  test('a GET query without content-type or preflight header is refused', async () => {
    const response = await fetch(`${server.url}?query=${encodeURIComponent('{ unreadTotal }')}`, {
      headers: { authorization: `Bearer ${ana.token}` },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as RawResponse;
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0].message).toMatch(/CSRF/);
    expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('a GET query with apollo-require-preflight passes', async () => {
    const response = await fetch(`${server.url}?query=${encodeURIComponent('{ unreadTotal }')}`, {
      headers: { authorization: `Bearer ${ana.token}`, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { unreadTotal: 0 } });
  });

  test('a POST with content-type text/plain is refused and executes nothing', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${ana.token}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ unreadTotal }' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as RawResponse;
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0].message).toMatch(/CSRF/);
    expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('a JSON POST works', async () => {
    const response = await server.request(MeDocument, {}, ana.token);
    expect(response.status).toBe(200);
    expect(response.data?.me.id).toBe(ana.id);
  });
});

describe('introspection outside production', () => {
  test('the full introspection query works without a token, untouched by depth and cost limits', async () => {
    const response = await server.raw({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const schema = (response.data as unknown as { __schema: { types: { name: string }[]; queryType: { name: string } } }).__schema;
    expect(schema.queryType.name).toBe('Query');
    expect(schema.types.map((t) => t.name)).toEqual(expect.arrayContaining(['Conversation', 'Message', 'MarkReadPayload']));
  });

  test('__typename alone works without a token', async () => {
    const response = await server.raw({ query: '{ __typename }' });
    expect(response.data).toEqual({ __typename: 'Query' });
  });
});
