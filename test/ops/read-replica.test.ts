import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { hasPostgresBinaries, OwnPostgres } from '../faults/own-postgres';
import { hasRedisServer, OwnRedis } from '../faults/own-redis';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { RealtimeClient, waitUntil, wsUrl } from '../realtime-api/realtime-helpers';

/**
 * DATABASE_READ_URL on a real streaming replica (docs/scaling.md "Read replicas"): a primary
 * cluster of the test's own, a hot standby made by pg_basebackup -R, and a redis-server of its
 * own; the shared PostgreSQL and Redis are not touched. Replay on the standby is paused, so
 * what a read sees tells where it ran: a message sent after the pause exists on the primary only.
 * Two instances share the Redis marker: a user's write on one keeps their reads on the primary
 * on the other.
 */

const WINDOW_MS = 1500;
const ready = hasPostgresBinaries() && hasRedisServer;
if (!ready) process.stdout.write('SKIPPED (no PostgreSQL server binaries or redis-server): read replica tests\n');

type Reads = Record<string, number>;

(ready ? describe : describe.skip)('a streaming read replica', () => {
  let primary: OwnPostgres;
  let replica: OwnPostgres;
  let redis: OwnRedis;
  let one: TestServer;
  let two: TestServer;
  /** A third instance whose lag guard is 1 s: a paused replay makes it stop using the replica. */
  let guarded: TestServer;
  let standby: Client;

  beforeAll(async () => {
    primary = await OwnPostgres.start();
    replica = await OwnPostgres.startReplicaOf(primary);
    redis = await OwnRedis.create();
    await redis.start();
    const env = {
      DATABASE_URL: primary.url(),
      DATABASE_DIRECT_URL: '',
      DATABASE_READ_URL: replica.url(),
      DATABASE_READ_AFTER_WRITE_MS: String(WINDOW_MS),
      // Replay is paused on purpose below: the lag guard must not hide where reads go.
      DATABASE_READ_MAX_LAG_MS: '600000',
      REDIS_URL: redis.url,
      REDIS_PREFIX: `replica-test-${randomUUID()}:`,
    };
    one = await startTestServer(env);
    two = await startTestServer(env);
    guarded = await startTestServer({ ...env, DATABASE_READ_MAX_LAG_MS: '1000' });
    standby = new Client({ connectionString: replica.url() });
    await standby.connect();
  }, 120_000);

  afterAll(async () => {
    await standby?.end().catch(() => {});
    await one?.stop().catch(() => {});
    await two?.stop().catch(() => {});
    await guarded?.stop().catch(() => {});
    await redis?.kill();
    await replica?.destroy();
    await primary?.destroy();
  });

  /** Runs a GraphQL document (no codegen: the nested list-with-history shape is this test's own); fails on any error. */
  async function gql<T = unknown>(server: TestServer, query: string, variables: Record<string, unknown>, who: Actor): Promise<T> {
    const answer = await server.raw({ query, variables }, who.token);
    if (answer.errors) throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
    return answer.data as T;
  }
  type Contents = { edges: { node: { content: string } }[] };
  const contents = (connection: Contents) => connection.edges.map((edge) => edge.node.content);

  const history = async (server: TestServer, who: Actor, id: string): Promise<string[]> => {
    const data = await gql<{ conversation: { messages: Contents } }>(server, 'query($id: ID!) { conversation(id: $id) { messages(last: 20) { edges { node { content } } } } }', { id }, who);
    return contents(data.conversation.messages);
  };
  const search = async (server: TestServer, who: Actor, word: string): Promise<string[]> => {
    const data = await gql<{ searchMessages: Contents }>(server, 'query($q: String!) { searchMessages(query: $q) { edges { node { content } } } }', { q: word }, who);
    return contents(data.searchMessages);
  };
  /** The conversation list, each with its latest messages as the list's own snapshot sees them. */
  const listed = async (server: TestServer, who: Actor): Promise<string[]> => {
    const data = await gql<{ conversations: { edges: { node: { messages: Contents } }[] } }>(
      server,
      '{ conversations { totalCount edges { node { id messages(last: 20) { edges { node { content } } } } } } }',
      {},
      who,
    );
    return data.conversations.edges.flatMap((edge) => contents(edge.node.messages));
  };
  const send = (server: TestServer, who: Actor, conversationId: string, content: string) =>
    gql(server, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { conversationId, content } }, who);

  /** db_reads_total of an instance, as "path/target/reason" → count. */
  async function reads(server: TestServer): Promise<Reads> {
    const metric = await server.service.metrics.dbReads.get();
    return Object.fromEntries(metric.values.map((value) => [`${value.labels.path}/${value.labels.target}/${value.labels.reason}`, value.value]));
  }
  const grew = (before: Reads, after: Reads, key: string) => (after[key] ?? 0) - (before[key] ?? 0);

  async function replayed(conversationId: string, content: string): Promise<boolean> {
    const { rows } = await standby.query('select 1 from messages where conversation_id = $1 and content = $2', [conversationId, content]);
    return rows.length > 0;
  }
  async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('reads go to the replica except after the reader wrote; a stopped replica or Redis degrades to the primary', async () => {
    const [ana, bo] = await Promise.all([actor(one, 'Ana'), actor(one, 'Bo')]);
    await gql(one, '{ me { id } }', {}, bo);
    const started = await gql<{ startConversation: { id: string } }>(one, 'mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }', { input: { participantId: bo.id } }, ana);
    const conversationId: string = started.startConversation.id;
    await send(one, bo, conversationId, 'hello before the pause');
    await waitFor(() => replayed(conversationId, 'hello before the pause'), 'the replica to replay the first message');
    await sleep(WINDOW_MS + 200);
    // Caught up, the guarded instance reads from the replica like the others.
    const caughtUp = await reads(guarded);
    expect(await search(guarded, bo, 'hello')).toEqual(['hello before the pause']);
    expect(grew(caughtUp, await reads(guarded), 'search/replica/replica')).toBe(1);

    const pools = (await one.service.metrics.dbPoolMax.get()).values.map((value) => [value.labels.pool, value.value]);
    expect(pools).toContainEqual(['replica', 10]);

    await standby.query('select pg_wal_replay_pause()');
    await waitFor(async () => (await standby.query('select pg_get_wal_replay_pause_state() as s')).rows[0].s === 'paused', 'replay to pause');

    // Ana writes on instance one; the message exists on the primary only.
    const word = `zebra${randomUUID().replace(/-/g, '')}`;
    const fresh = `a fresh ${word}`;
    await send(one, ana, conversationId, fresh);
    expect(await replayed(conversationId, fresh)).toBe(false);

    // Ana sees it at once, on the other instance too (the Redis marker): her reads ran on the primary.
    let before = await reads(two);
    expect(await history(two, ana, conversationId)).toContain(fresh);
    expect(await search(two, ana, word)).toEqual([fresh]);
    expect(await listed(two, ana)).toContain(fresh);
    let after = await reads(two);
    expect(grew(before, after, 'history/primary/recent_write')).toBeGreaterThanOrEqual(2);
    expect(grew(before, after, 'search/primary/recent_write')).toBe(1);
    expect(grew(before, after, 'conversations/primary/recent_write')).toBeGreaterThanOrEqual(1);
    expect(Object.keys(after).filter((key) => key.includes('/replica/') && grew(before, after, key) > 0)).toEqual([]);

    // Bo wrote nothing since: search and the list (with its histories) come from the paused replica.
    before = await reads(one);
    expect(await search(one, bo, word)).toEqual([]);
    const boList = await listed(one, bo);
    expect(boList).toContain('hello before the pause');
    expect(boList).not.toContain(fresh);
    // Several statuses and a cursor bind through the replica's pool too (one placeholder per status).
    const allStatuses = 'query($after: String) { conversations(status: [ACTIVE, ARCHIVED], first: 1, after: $after) { totalCount edges { node { id } } pageInfo { endCursor } } }';
    type Page = { conversations: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { endCursor: string } } };
    const firstPage = await gql<Page>(one, allStatuses, {}, bo);
    expect(firstPage.conversations.edges.map((edge) => edge.node.id)).toEqual([conversationId]);
    expect(firstPage.conversations.totalCount).toBe(1);
    const nextPage = await gql<Page>(one, allStatuses, { after: firstPage.conversations.pageInfo.endCursor }, bo);
    expect(nextPage.conversations.edges).toEqual([]);
    // A history page of a conversation read on the primary knows its last sequence: the
    // replica's short page is stale and read again on the primary.
    expect(await history(one, bo, conversationId)).toContain(fresh);
    after = await reads(one);
    expect(grew(before, after, 'search/replica/replica')).toBe(1);
    expect(grew(before, after, 'conversations/replica/replica')).toBeGreaterThanOrEqual(5);
    expect(grew(before, after, 'history/replica/replica')).toBeGreaterThanOrEqual(1);
    expect(grew(before, after, 'history/primary/replica_stale')).toBe(1);

    // The instance with a 1 s lag guard sees replay stand still behind received WAL: it stops
    // using the replica (the real standby's pg_last_xact_replay_timestamp, not a fake).
    await waitFor(async () => (await guarded.service.metrics.dbReplicaLag.get()).values[0]?.value > 1, 'the replica lag to pass 1 s');
    before = await reads(guarded);
    expect(await search(guarded, bo, word)).toEqual([fresh]);
    after = await reads(guarded);
    expect(grew(before, after, 'search/primary/replica_unavailable')).toBe(1);

    // Bo writes: for the window his reads go to the primary (on both instances), then back to the replica.
    await send(one, bo, conversationId, 'bo answers');
    expect(await search(two, bo, word)).toEqual([fresh]);
    expect(await listed(one, bo)).toContain(fresh);
    await sleep(WINDOW_MS + 300);
    expect(await search(one, bo, word)).toEqual([]);
    expect(await search(two, bo, word)).toEqual([]);

    // The same for a mutation over WebSocket (on instance two; Bo reads on instance one).
    const socket = new RealtimeClient(wsUrl(two), bo.token);
    try {
      const sent = socket.subscribeRaw('mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { conversationId, content: 'bo over the socket' } });
      await waitUntil(() => sent.completed || sent.errors.length > 0 || sent.failure !== null, 'the mutation over the socket');
      expect(sent.errors).toEqual([]);
    } finally {
      await socket.dispose();
    }
    expect(await search(one, bo, word)).toEqual([fresh]);
    await sleep(WINDOW_MS + 300);

    // Replay resumes: the replica serves the message to Bo.
    await standby.query('select pg_wal_replay_resume()');
    await waitFor(async () => (await search(one, bo, word)).length === 1, 'the replica to replay the fresh message');

    // Redis gone: nobody can tell whether Bo just wrote on another instance, so the primary answers.
    await redis.kill();
    before = await reads(one);
    expect(await search(one, bo, word)).toEqual([fresh]);
    after = await reads(one);
    expect(grew(before, after, 'search/primary/recent_write')).toBe(1);
    await redis.start();
    await waitFor(async () => {
      const probe = await reads(one);
      await search(one, bo, word);
      return grew(probe, await reads(one), 'search/replica/replica') === 1;
    }, 'reads to return to the replica once Redis is back');

    // The replica stops: every read is answered by the primary, without an error.
    await standby.end();
    replica.stop();
    before = await reads(one);
    expect(await search(one, bo, word)).toEqual([fresh]);
    expect(await listed(one, bo)).toEqual(expect.arrayContaining([fresh, 'bo answers']));
    expect(await history(one, bo, conversationId)).toEqual(expect.arrayContaining([fresh, 'bo answers']));
    await sleep(1500);
    expect(await search(two, bo, word)).toEqual([fresh]);
    after = await reads(one);
    const onReplica = Object.keys(after).filter((key) => key.includes('/replica/') && grew(before, after, key) > 0);
    expect(onReplica).toEqual([]);
    expect(grew(before, after, 'search/primary/replica_error') + grew(before, after, 'search/primary/replica_unavailable')).toBe(1);
    expect(await reads(two)).toEqual(expect.objectContaining({ 'search/primary/replica_unavailable': expect.any(Number) }));
  }, 90_000);
});
