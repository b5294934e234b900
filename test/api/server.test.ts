import { randomUUID } from 'node:crypto';
import http from 'node:http';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { DomainError, ErrorCode } from '../../src/errors';
import { createErrorFormatter } from '../../src/server/format-error';
import { GraphQLError } from 'graphql';
import { MarkReadDocument, MeDocument, SendMessageDocument, StartConversationDocument } from '../generated/graphql';
import { actor, startTestServer, TEST_JWT_SECRET, type TestServer } from '../helpers/test-server';

/**
 * CONTRACT.md "Endpoint and transport" and "Errors": operational routes, metrics, request ids,
 * the production hardening and graceful shutdown.
 */

const codes = (response: { errors?: { extensions?: Record<string, unknown> }[] }) => (response.errors ?? []).map((e) => e.extensions?.code);

function origin(server: TestServer): string {
  return `http://127.0.0.1:${server.service.port}`;
}

/** Sum of the samples of `name` whose labels include `labels` (Prometheus text format). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total = (total ?? 0) + Number(match[3]);
  }
  return total;
}

async function metricsText(server: TestServer): Promise<string> {
  const response = await fetch(`${origin(server)}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe('development server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  describe('operational routes', () => {
    test('GET /healthz answers 200', async () => {
      const response = await fetch(`${origin(server)}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    test('GET /readyz answers 200 with the database and pub/sub reachable', async () => {
      const response = await fetch(`${origin(server)}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ready', database: true, pubSub: true });
    });
  });

  describe('request ids', () => {
    test('a valid x-request-id is echoed', async () => {
      const response = await fetch(`${origin(server)}/healthz`, { headers: { 'x-request-id': 'req-abc_123' } });
      expect(response.headers.get('x-request-id')).toBe('req-abc_123');
    });

    test('a missing one is generated, on GraphQL responses too, and differs per request', async () => {
      const a = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      const b = await fetch(`${origin(server)}/healthz`);
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      expect(a.headers.get('x-request-id')).toMatch(uuid);
      expect(b.headers.get('x-request-id')).toMatch(uuid);
      expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
    });

    test.each([
      ['with spaces and symbols', 'abc def<script>'],
      ['too long', 'x'.repeat(65)],
    ])('an unsafe one (%s) is replaced', async (_name, value) => {
      const response = await fetch(`${origin(server)}/healthz`, { headers: { 'x-request-id': value } });
      const echoed = response.headers.get('x-request-id');
      expect(echoed).not.toBe(value);
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    });

    test('no x-powered-by header', async () => {
      const response = await fetch(`${origin(server)}/healthz`);
      expect(response.headers.get('x-powered-by')).toBeNull();
    });
  });

  describe('/metrics', () => {
    test('counts operations by name and outcome, errors by code, and the domain counters', async () => {
      const before = await metricsText(server);
      const unauthenticatedBefore = sample(before, 'graphql_errors_total', { code: 'UNAUTHENTICATED' }) ?? 0;
      const sentBefore = sample(before, 'messages_sent_total', { type: 'TEXT' }) ?? 0;
      const receiptsBefore = sample(before, 'read_receipts_total') ?? 0;
      const meSuccessBefore = sample(before, 'graphql_operation_duration_seconds_count', { operation: 'Me', outcome: 'success' }) ?? 0;
      const meErrorBefore = sample(before, 'graphql_operation_duration_seconds_count', { operation: 'Me', outcome: 'error' }) ?? 0;

      const ana = await actor(server, 'Ana');
      const bo = await actor(server, 'Bo');
      // An unauthenticated call of a named operation.
      const anonymous = await server.request(MeDocument, {}, null);
      expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
      await server.request(MeDocument, {}, ana.token);
      await server.request(MeDocument, {}, bo.token);
      const started = await server.request(StartConversationDocument, { input: { participantId: bo.id } }, ana.token);
      const conversationId = started.data!.startConversation.id;
      const sent = await server.request(SendMessageDocument, { input: { conversationId, content: 'hello' } }, ana.token);
      expect(sent.errors).toBeUndefined();
      const read = await server.request(MarkReadDocument, { input: { conversationId } }, bo.token);
      expect(read.data?.markRead.messageIds).toHaveLength(1);
      // Idempotent: nothing newly read, no receipt counted.
      await server.request(MarkReadDocument, { input: { conversationId } }, bo.token);

      const after = await metricsText(server);
      expect(sample(after, 'graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(unauthenticatedBefore + 1);
      expect(sample(after, 'graphql_operation_duration_seconds_count', { operation: 'Me', type: 'query', outcome: 'success' })).toBe(
        meSuccessBefore + 2,
      );
      expect(sample(after, 'graphql_operation_duration_seconds_count', { operation: 'Me', outcome: 'error' })).toBe(meErrorBefore + 1);
      expect(sample(after, 'graphql_operation_duration_seconds_bucket', { operation: 'SendMessage', type: 'mutation', outcome: 'success', le: '+Inf' })).toBe(1);
      expect(after).toMatch(/^# TYPE graphql_operation_duration_seconds histogram$/m);
      expect(sample(after, 'messages_sent_total', { type: 'TEXT' })).toBe(sentBefore + 1);
      expect(sample(after, 'read_receipts_total')).toBe(receiptsBefore + 1);
      expect(sample(after, 'db_query_duration_seconds_count')).toBeGreaterThan(sample(before, 'db_query_duration_seconds_count') ?? 0);
      expect(after).toMatch(/^# TYPE db_query_duration_seconds histogram$/m);
      expect(sample(after, 'active_conversations')).toBeGreaterThanOrEqual(1);
      // Default process metrics come along.
      expect(sample(after, 'process_cpu_user_seconds_total')).toBeDefined();
    });

    test('active_conversations follows the database when scraped', async () => {
      const ana = await actor(server, 'Ana');
      const bo = await actor(server, 'Bo');
      await server.request(MeDocument, {}, bo.token);
      const countNow = async () => {
        const [row] = await server.service.orm.em.fork().getConnection().execute(`select count(*) as n from conversations where status = 'ACTIVE'`);
        return Number(row.n);
      };
      await server.request(StartConversationDocument, { input: { participantId: bo.id } }, ana.token);
      // Other test files may share the database: bracket the scrape with two counts.
      const before = await countNow();
      const gauge = sample(await metricsText(server), 'active_conversations')!;
      const after = await countNow();
      expect(before).toBeGreaterThanOrEqual(1);
      expect(gauge).toBeGreaterThanOrEqual(Math.min(before, after));
      expect(gauge).toBeLessThanOrEqual(Math.max(before, after));
    });

    test('anonymous and unusual operation names are labelled "anonymous", never raw', async () => {
      await server.raw({ query: '{ __typename }' });
      const text = await metricsText(server);
      expect(sample(text, 'graphql_operation_duration_seconds_count', { operation: 'anonymous' })).toBeGreaterThanOrEqual(1);
      // A name that is not a GraphQL name cannot be sent; an over-long one is folded.
      const long = `Q${'x'.repeat(80)}`;
      await server.raw({ query: `query ${long} { __typename }` });
      expect(await metricsText(server)).not.toContain(long);
    });
  });

  describe('outside production', () => {
    test('GET /graphql from a browser serves Apollo Sandbox', async () => {
      const response = await fetch(server.url, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).toMatch(/sandbox/i);
    });

    test('a misspelled field gets a suggestion and a stack trace (contrast with production)', async () => {
      const response = await server.raw({ query: '{ me { displayNam } }' });
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0].message).toMatch(/Did you mean "displayName"/);
      expect(response.errors![0].extensions?.stacktrace).toBeDefined();
    });
  });
});

describe('production mode', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(() => server.stop());

  test('config: production needs a JWT key, and does not migrate on start by default', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET or JWT_PUBLIC_KEY/);
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET });
    expect(config.isProduction).toBe(true);
    expect(config.migrateOnStart).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).migrateOnStart).toBe(true);
    expect(server.service.config.isProduction).toBe(true);
  });

  test('operations still work', async () => {
    const ana = await actor(server, 'Ana');
    const response = await server.request(MeDocument, {}, ana.token);
    expect(response.errors).toBeUndefined();
    expect(response.data?.me).toMatchObject({ id: ana.id, displayName: 'Ana' });
  });

  test.each([
    ['__schema', '{ __schema { queryType { name } } }'],
    ['__type', '{ __type(name: "User") { fields { name } } }'],
  ])('introspection (%s) is refused, with or without a token', async (_name, query) => {
    const ana = await actor(server, 'Ana');
    for (const token of [null, ana.token]) {
      const response = await server.raw({ query }, token);
      expect(response.data ?? null).toBeNull();
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0].message).toMatch(/introspection/i);
    }
  });

  test('__typename still works', async () => {
    expect((await server.raw({ query: '{ __typename }' })).data).toEqual({ __typename: 'Query' });
  });

  test('GET /graphql with Accept text/html does not serve the Sandbox', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    const body = await response.text();
    expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(body).not.toMatch(/sandbox|<html|<script/i);
  });

  test('a misspelled field gets no suggestion and no stack trace', async () => {
    const ana = await actor(server, 'Ana');
    const response = await server.raw({ query: '{ me { displayNam } }' }, ana.token);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0].message).not.toMatch(/Did you mean/);
    expect(response.errors![0].message).not.toMatch(/displayName/);
    expect(response.errors![0].extensions?.stacktrace).toBeUndefined();
  });

  test('an unknown argument or type gets no suggestion either', async () => {
    const response = await server.raw({ query: 'query Q($s: [ConversationStatu!]) { conversations(statu: $s) { totalCount } }' });
    expect(response.errors?.length).toBeGreaterThan(0);
    for (const error of response.errors!) {
      expect(error.message).not.toMatch(/Did you mean/);
      expect(error.extensions?.stacktrace).toBeUndefined();
    }
  });

  test('domain errors keep their code and message but lose the stack trace', async () => {
    const ana = await actor(server, 'Ana');
    const response = await server.raw(
      { query: 'query C($id: ID!) { conversation(id: $id) { id } }', variables: { id: randomUUID() } },
      ana.token,
    );
    expect(codes(response)).toEqual(['NOT_FOUND']);
    expect(response.errors![0].extensions?.stacktrace).toBeUndefined();
  });

  // Last in this block: it takes the database away from this server.
  test('with the database gone: /readyz answers 503, operations INTERNAL_SERVER_ERROR without details', async () => {
    const token = await server.token(randomUUID(), { name: 'Late' });
    await Promise.all([server.service.orm.close(true), server.service.sql.close()]);

    const ready = await fetch(`${origin(server)}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', database: false, pubSub: true });
    const health = await fetch(`${origin(server)}/healthz`);
    expect(health.status).toBe(200);

    const response = await server.raw({ query: '{ me { id } }' }, token);
    expect(response.status).toBe(500);
    expect(response.data ?? null).toBeNull();
    expect(codes(response)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(response.errors![0].message).toBe('Internal server error');
    expect(JSON.stringify(response)).not.toMatch(/stacktrace|insert into|users|knex|pool|connection|at .*\.[tj]s|node_modules/i);
  });
});

describe('createErrorFormatter', () => {
  const logger = pino({ level: 'silent' });
  const internal = new Error('select * from users where password = 42 failed');
  internal.stack = `Error: ${internal.message}\n    at secret (/srv/app/src/services/user.service.ts:1:1)`;
  const formattedInternal = { message: internal.message, path: ['me'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: internal.stack.split('\n') } };

  test('production: a plain Error becomes INTERNAL_SERVER_ERROR without message, SQL or stack', () => {
    const error = logger.child({});
    const spy = jest.spyOn(error, 'error');
    const result = createErrorFormatter(error, true)(formattedInternal, internal);
    expect(result).toEqual({ message: 'Internal server error', path: ['me'], locations: undefined, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  test('development: the message stays (for debugging), the code is still INTERNAL_SERVER_ERROR', () => {
    const result = createErrorFormatter(logger, false)(formattedInternal, internal);
    expect(result.message).toBe(internal.message);
    expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  test('an error with a code outside the contract becomes INTERNAL_SERVER_ERROR', () => {
    const odd = new GraphQLError('boom', { extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', detail: 'secret' } });
    const result = createErrorFormatter(logger, true)({ message: 'boom', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', detail: 'secret' } }, odd);
    expect(result).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(result.extensions).not.toHaveProperty('detail');
  });

  test('a DomainError (also wrapped by a resolver) keeps its code, message and extensions', () => {
    const domain = new DomainError(ErrorCode.RATE_LIMITED, 'Too many messages; try again later', { retryAfterSeconds: 42 });
    const wrapped = new GraphQLError(domain.message, { originalError: domain, path: ['sendMessage'] });
    const result = createErrorFormatter(logger, true)({ message: domain.message, path: ['sendMessage'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['x'] } }, wrapped);
    expect(result).toEqual({
      message: 'Too many messages; try again later',
      path: ['sendMessage'],
      locations: undefined,
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 42 },
    });
  });

  test("Apollo's request codes become BAD_USER_INPUT, with the reason, and lose the stack in production", () => {
    for (const code of ['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE']) {
      const raw = new GraphQLError('bad', { extensions: { code } });
      const result = createErrorFormatter(logger, true)({ message: 'bad', extensions: { code, stacktrace: ['at x'] } }, raw);
      expect(result.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: code });
    }
  });

  test('contract codes pass through, without stack in production and with it in development', () => {
    const formatted = { message: 'nope', extensions: { code: 'FORBIDDEN', stacktrace: ['at x'] } };
    const raw = new GraphQLError('nope', { extensions: { code: 'FORBIDDEN' } });
    expect(createErrorFormatter(logger, true)(formatted, raw).extensions).toEqual({ code: 'FORBIDDEN' });
    expect(createErrorFormatter(logger, false)(formatted, raw).extensions).toEqual({ code: 'FORBIDDEN', stacktrace: ['at x'] });
  });
});

describe('graceful shutdown', () => {
  test('a request in flight when stopping completes with 200; new connections are refused', async () => {
    const server = await startTestServer();
    const ana = await actor(server, 'Ana');
    const port = server.service.port;
    const body = JSON.stringify({ query: 'query Me { me { id } }' });

    // Send the headers and half the body, so that the request is in flight on the server.
    const received = new Promise<void>((resolve) => server.service.app.httpServer.once('request', () => resolve()));
    const request = http.request({
      host: '127.0.0.1',
      port,
      path: '/graphql',
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${ana.token}` },
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
      request.on('error', reject);
    });
    request.write(body.slice(0, 10));
    await received;

    let stopped = false;
    const stopping = server.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The listener is closed: a new connection is refused while the old request is still open.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(stopped).toBe(false);

    request.end(body.slice(10));
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { me: { id: ana.id } } });
    await stopping;
    expect(stopped).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
