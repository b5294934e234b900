/**
 * Relay pagination of message history (oldest first, cursor = sequence) and of the
 * conversation list (activity desc, id desc; ties on the activity timestamp are common).
 */
import { randomUUID } from 'node:crypto';
import {
  PagingConversationsDocument,
  PagingMessagesDocument,
  SendMessageDocument,
  StartConversationDocument,
  type PagingConversationsQuery,
  type PagingConversationsQueryVariables,
  type PagingMessagesQuery,
  type PagingMessagesQueryVariables,
} from '../generated/graphql';
import { actor, startTestServer, type Actor, type GraphQLResponse, type TestServer } from '../helpers/test-server';

let server: TestServer;

beforeAll(async () => {
  // 120 messages from one sender would otherwise hit the hourly rate limit.
  server = await startTestServer({ RATE_LIMIT_MESSAGES_PER_HOUR: '100000' });
});
afterAll(() => server.stop());

/** Raw SQL on the service's own pool. */
function sql(query: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return server.service.orm.em.fork().execute(query, params);
}

function cursorOf(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function expectCode(response: GraphQLResponse<unknown>, code: string): void {
  expect(response.data ?? null).toBeNull();
  expect(response.errors?.map((e) => e.extensions?.code)).toEqual([code]);
}

describe('message history', () => {
  const TOTAL = 120;
  let ana: Actor;
  let bo: Actor;
  let conversationId: string;
  /** What the senders got back, by sequence - 1. */
  const sent: { id: string; content: string; senderId: string }[] = [];

  beforeAll(async () => {
    ana = await actor(server, 'Ana');
    bo = await actor(server, 'Bo');
    await server.raw({ query: '{ me { id } }' }, bo.token);
    const started = await server.request(StartConversationDocument, { input: { participantId: bo.id } }, ana.token);
    expect(started.errors).toBeUndefined();
    conversationId = started.data!.startConversation.id;
    // In concurrent batches from both participants: the server hands out the sequences.
    for (let batch = 0; batch < TOTAL / 12; batch++) {
      await Promise.all(
        Array.from({ length: 12 }, async (_, j) => {
          const sender = j % 3 === 0 ? bo : ana;
          const content = `m-${batch}-${j}`;
          const response = await server.request(SendMessageDocument, { input: { conversationId, content } }, sender.token);
          expect(response.errors).toBeUndefined();
          const message = response.data!.sendMessage;
          expect(sent[message.sequence - 1]).toBeUndefined();
          sent[message.sequence - 1] = { id: message.id, content, senderId: sender.id };
        }),
      );
    }
    expect(sent.filter(Boolean)).toHaveLength(TOTAL);
  });

  async function page(variables: Omit<PagingMessagesQueryVariables, 'id'>, token = ana.token) {
    const response = await server.request(PagingMessagesDocument, { id: conversationId, ...variables }, token);
    expect(response.errors).toBeUndefined();
    return response.data!.conversation.messages;
  }

  type Page = PagingMessagesQuery['conversation']['messages'];

  /** Edges are consistent: each node's content and id match its sequence, cursors match the ends. */
  function checkEdges(result: Page, sequences: number[]): void {
    expect(result.edges.map((e) => e.node.sequence)).toEqual(sequences);
    for (const edge of result.edges) {
      const expected = sent[edge.node.sequence - 1];
      expect({ id: edge.node.id, content: edge.node.content, senderId: edge.node.sender?.id }).toEqual(expected);
    }
    expect(result.pageInfo.startCursor).toBe(result.edges[0]?.cursor ?? null);
    expect(result.pageInfo.endCursor).toBe(result.edges.at(-1)?.cursor ?? null);
  }

  /** The cursor of the message with this sequence (cursors are opaque to clients, not to this test). */
  const seqCursor = (sequence: number) => cursorOf([sequence]);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  test('without arguments: the latest 50, oldest first, with an older page before them', async () => {
    const result = await page({});
    checkEdges(result, range(TOTAL - 49, TOTAL));
    expect(result.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    // Both participants see the same history.
    const seenByBo = await page({}, bo.token);
    expect(seenByBo.edges.map((e) => e.node.id)).toEqual(result.edges.map((e) => e.node.id));
  });

  test.each([25, 40, 7, 100])('walks forward with first: %i / after until hasNextPage is false', async (size) => {
    const seen: number[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const result: Page = await page({ first: size, after });
      pages++;
      const expected = range(seen.length + 1, Math.min(seen.length + size, TOTAL));
      checkEdges(result, expected);
      expect(result.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(result.pageInfo.hasNextPage).toBe(expected.at(-1)! < TOTAL);
      seen.push(...expected);
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
      expect(pages).toBeLessThan(TOTAL + 1);
    }
    expect(seen).toEqual(range(1, TOTAL));
    expect(pages).toBe(Math.ceil(TOTAL / size));
  });

  test.each([25, 40, 7])('walks backward with last: %i / before until hasPreviousPage is false', async (size) => {
    const seen: number[] = [];
    let before: string | null = null;
    for (;;) {
      const result: Page = await page({ last: size, before });
      const top = TOTAL - seen.length;
      const expected = range(Math.max(1, top - size + 1), top);
      checkEdges(result, expected);
      expect(result.pageInfo.hasNextPage).toBe(before !== null);
      expect(result.pageInfo.hasPreviousPage).toBe(expected[0] > 1);
      seen.unshift(...expected);
      if (!result.pageInfo.hasPreviousPage) break;
      before = result.pageInfo.startCursor;
    }
    expect(seen).toEqual(range(1, TOTAL));
  });

  test('pageInfo is exact at both ends and inside', async () => {
    const atStart = await page({ first: 10 });
    checkEdges(atStart, range(1, 10));
    expect(atStart.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });

    const lastExactly = await page({ first: 20, after: cursorOf([TOTAL - 20]) });
    checkEdges(lastExactly, range(TOTAL - 19, TOTAL));
    expect(lastExactly.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

    const pastTheEnd = await page({ first: 10, after: seqCursor(TOTAL) });
    checkEdges(pastTheEnd, []);
    expect(pastTheEnd.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

    const firstExactly = await page({ last: 20, before: seqCursor(21) });
    checkEdges(firstExactly, range(1, 20));
    expect(firstExactly.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });

    const beforeTheStart = await page({ last: 10, before: seqCursor(1) });
    checkEdges(beforeTheStart, []);
    expect(beforeTheStart.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });

    const everything = await page({ last: 100, before: null, first: null });
    checkEdges(everything, range(TOTAL - 99, TOTAL));
    expect(everything.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

    // A window between two cursors.
    const window = await page({ first: 100, after: seqCursor(10), before: seqCursor(15) });
    checkEdges(window, range(11, 14));
    expect(window.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const windowBack = await page({ last: 2, after: seqCursor(10), before: seqCursor(15) });
    checkEdges(windowBack, [13, 14]);
    expect(windowBack.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });

  test('cursors handed out are the ones accepted back', async () => {
    const result = await page({ first: 3, after: seqCursor(50) });
    checkEdges(result, [51, 52, 53]);
    expect(result.edges.map((e) => e.cursor)).toEqual([seqCursor(51), seqCursor(52), seqCursor(53)]);
    const next = await page({ first: 2, after: result.edges[1].cursor });
    checkEdges(next, [53, 54]);
  });

  test('first: 0 and last: 0 answer no edges with exact flags', async () => {
    const none = await page({ first: 0 });
    checkEdges(none, []);
    expect(none.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });

    const noneAfter = await page({ first: 0, after: seqCursor(TOTAL) });
    checkEdges(noneAfter, []);
    expect(noneAfter.pageInfo.hasNextPage).toBe(false);

    const noneBack = await page({ last: 0 });
    checkEdges(noneBack, []);
    expect(noneBack.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  test('an empty conversation has one empty page', async () => {
    const cy = await actor(server, 'Cy');
    const started = await server.request(StartConversationDocument, { input: { participantId: ana.id } }, cy.token);
    expect(started.errors).toBeUndefined();
    for (const args of [{}, { first: 10 }, { last: 10 }]) {
      const response = await server.request(PagingMessagesDocument, { id: started.data!.startConversation.id, ...args }, cy.token);
      expect(response.errors).toBeUndefined();
      expect(response.data!.conversation.messages).toEqual({
        edges: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      });
    }
  });

  test.each<[string, Omit<PagingMessagesQueryVariables, 'id'>]>([
    ['first > 100', { first: 101 }],
    ['last > 100', { last: 101 }],
    ['negative first', { first: -1 }],
    ['negative last', { last: -5 }],
    ['first and last together', { first: 10, last: 10 }],
    ['garbage after', { first: 10, after: 'not a cursor!' }],
    ['garbage before', { last: 10, before: '%%%' }],
    ['a conversation cursor as after', { first: 10, after: cursorOf(['2025-01-01 00:00:00+00', randomUUID()]) }],
    ['a string sequence', { first: 10, after: cursorOf(['12']) }],
    ['a fractional sequence', { first: 10, after: cursorOf([1.5]) }],
    ['a huge sequence', { first: 10, after: cursorOf([1e300]) }],
    ['a sequence beyond integer range', { last: 10, before: cursorOf([2 ** 31]) }],
    ['a negative sequence', { first: 10, after: cursorOf([-1]) }],
  ])('%s is BAD_USER_INPUT', async (_name, variables) => {
    expectCode(await server.request(PagingMessagesDocument, { id: conversationId, ...variables }, ana.token), 'BAD_USER_INPUT');
  });

  test('first: 100 and last: 100 are allowed', async () => {
    expect((await page({ first: 100 })).edges).toHaveLength(100);
    expect((await page({ last: 100 })).edges).toHaveLength(100);
  });
});

describe('conversation list', () => {
  type Status = 'ACTIVE' | 'ARCHIVED' | 'AUTO_ARCHIVED';
  interface Planned {
    id: string;
    status: Status;
    /** coalesce(last_message_at, created_at), as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC. */
    activity: string;
  }

  let viewer: Actor;
  const mine: Planned[] = [];

  /**
   * Times with microsecond differences and many exact ties: 6 distinct activity values for
   * ~45 conversations, two of them only 1 µs apart (a cursor that kept milliseconds only
   * would skip or repeat rows).
   */
  const TIMES = [
    '2025-05-05 10:00:00.000002',
    '2025-05-05 10:00:00.000001',
    '2025-05-05 10:00:00.000000',
    '2025-04-01 08:30:15.123456',
    '2024-12-31 23:59:59.999999',
    '2024-01-01 00:00:00.000000',
  ];

  /** A UUID whose first hex digit is `first`: decides on which side of the pair the viewer sits. */
  const uuidStartingWith = (first: string) => first + randomUUID().slice(1);

  beforeAll(async () => {
    const viewerId = uuidStartingWith('8');
    viewer = { id: viewerId, name: 'Viewer', token: await server.token(viewerId, { name: 'Viewer' }) };
    await server.raw({ query: '{ me { id } }' }, viewer.token);
    // Others on both sides of the viewer in uuid order, so both list indexes are used.
    const others = '0123456789abcdef'
      .replace('8', '')
      .split('')
      .map((digit) => uuidStartingWith(digit));
    const strangers = [uuidStartingWith('1'), uuidStartingWith('f')];
    await sql(`insert into users (id, display_name) select unnest(array[?]::uuid[]), 'someone'`, [[...others, ...strangers]]);

    const rows: unknown[][] = [];
    const insert = (a: string, b: string, job: string, status: Status, createdAt: string, lastMessageAt: string | null) => {
      const id = randomUUID();
      const [pa, pb] = [a, b].sort();
      rows.push([id, pa, pb, job, status, `${createdAt}+00`, lastMessageAt === null ? null : `${lastMessageAt}+00`]);
      return id;
    };
    for (let i = 0; i < 45; i++) {
      const status: Status = i % 5 === 3 ? 'ARCHIVED' : i % 7 === 4 ? 'AUTO_ARCHIVED' : 'ACTIVE';
      const activity = TIMES[(i * 7) % TIMES.length];
      // Half have messages (activity = last_message_at), half none (activity = created_at).
      const withMessages = i % 2 === 0;
      const createdAt = withMessages ? '2023-06-01 00:00:00.000000' : activity;
      const id = insert(viewer.id, others[i % others.length], `job-${i}`, status, createdAt, withMessages ? activity : null);
      mine.push({ id, status, activity });
    }
    // Noise: conversations of other people at the very same times.
    for (let i = 0; i < 10; i++) {
      insert(strangers[i % 2], others[i], `noise-${i}`, 'ACTIVE', TIMES[i % TIMES.length], null);
    }
    for (const row of rows) {
      await sql(
        `insert into conversations (id, participant_a_id, participant_b_id, job_application_id, status, created_at, last_message_at)
         values (?, ?, ?, ?, ?::conversation_status, ?::timestamptz, ?::timestamptz)`,
        row,
      );
    }
    // The data really has ties, and the viewer sits on both sides of the pair.
    const [check] = await sql(
      `select count(distinct activity_at) as distinct_times, count(*) as n,
              count(*) filter (where participant_a_id = ?) as as_a
       from conversations where participant_a_id = ? or participant_b_id = ?`,
      [viewer.id, viewer.id, viewer.id],
    );
    expect(Number(check.n)).toBe(45);
    expect(Number(check.distinct_times)).toBe(TIMES.length);
    expect(Number(check.as_a)).toBeGreaterThan(5);
    expect(Number(check.as_a)).toBeLessThan(40);
  });

  /** The expected order: activity desc, then id desc (uuid order = lowercase hex order). */
  function expected(statuses: Status[]): string[] {
    return mine
      .filter((c) => statuses.includes(c.status))
      .sort((x, y) => (x.activity === y.activity ? (x.id < y.id ? 1 : -1) : x.activity < y.activity ? 1 : -1))
      .map((c) => c.id);
  }

  type ConversationPage = PagingConversationsQuery['conversations'];

  async function list(variables: PagingConversationsQueryVariables): Promise<ConversationPage> {
    const response = await server.request(PagingConversationsDocument, variables, viewer.token);
    expect(response.errors).toBeUndefined();
    return response.data!.conversations;
  }

  async function walk(size: number, status?: Status[]): Promise<string[]> {
    const wanted = expected(status ?? ['ACTIVE']);
    const seen: string[] = [];
    let after: string | null = null;
    for (let pageNo = 0; ; pageNo++) {
      const result: ConversationPage = await list({ first: size, after, status });
      expect(result.totalCount).toBe(wanted.length);
      expect(result.edges.length).toBe(Math.min(size, wanted.length - seen.length));
      expect(result.pageInfo.hasNextPage).toBe(seen.length + result.edges.length < wanted.length);
      expect(result.pageInfo.hasPreviousPage).toBe(pageNo > 0);
      expect(result.pageInfo.startCursor).toBe(result.edges[0]?.cursor ?? null);
      expect(result.pageInfo.endCursor).toBe(result.edges.at(-1)?.cursor ?? null);
      for (const edge of result.edges) {
        expect(status ?? ['ACTIVE']).toContain(edge.node.status);
      }
      seen.push(...result.edges.map((e) => e.node.id));
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
      expect(pageNo).toBeLessThan(wanted.length);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(wanted);
    return seen;
  }

  test.each([1, 4, 7, 100])('walks ACTIVE (the default) with first: %i / after in a stable order', async (size) => {
    await walk(size);
  });

  test('a page size that divides the count exactly ends without an empty extra page', async () => {
    const count = expected(['ACTIVE']).length;
    const divisor = [5, 4, 3, 2].find((d) => count % d === 0) ?? 1;
    await walk(count / divisor);
  });

  test('the order is activity desc, then id desc, also as the API reports the timestamps', async () => {
    const result = await list({ first: 100, status: ['ACTIVE', 'ARCHIVED', 'AUTO_ARCHIVED'] });
    const activity = result.edges.map((e) => Date.parse(e.node.lastMessageAt ?? e.node.createdAt));
    for (let i = 1; i < activity.length; i++) expect(activity[i]).toBeLessThanOrEqual(activity[i - 1]);
    expect(result.edges.map((e) => e.node.id)).toEqual(expected(['ACTIVE', 'ARCHIVED', 'AUTO_ARCHIVED']));
  });

  test('status filters: default [ACTIVE], archived kinds, all', async () => {
    const countOf = (statuses: Status[]) => mine.filter((c) => statuses.includes(c.status)).length;
    // The plan covers every status several times.
    expect(countOf(['ARCHIVED'])).toBeGreaterThan(3);
    expect(countOf(['AUTO_ARCHIVED'])).toBeGreaterThan(3);

    const byDefault = await list({ first: 100 });
    expect(byDefault.totalCount).toBe(countOf(['ACTIVE']));
    expect(byDefault.edges.map((e) => e.node.id)).toEqual(expected(['ACTIVE']));
    const explicitActive = await list({ first: 100, status: ['ACTIVE'] });
    expect(explicitActive.edges.map((e) => e.node.id)).toEqual(expected(['ACTIVE']));

    await walk(3, ['ARCHIVED', 'AUTO_ARCHIVED']);
    await walk(2, ['ARCHIVED']);
    await walk(4, ['AUTO_ARCHIVED']);
    await walk(9, ['ACTIVE', 'ARCHIVED', 'AUTO_ARCHIVED']);
  });

  test('without first: the default page of 20', async () => {
    const result = await list({});
    expect(expected(['ACTIVE']).length).toBeGreaterThan(20);
    expect(result.edges.map((e) => e.node.id)).toEqual(expected(['ACTIVE']).slice(0, 20));
    expect(result.pageInfo.hasNextPage).toBe(true);
  });

  test('first: 0 answers no edges, the total and whether there is more', async () => {
    const result = await list({ first: 0 });
    expect(result.edges).toEqual([]);
    expect(result.totalCount).toBe(expected(['ACTIVE']).length);
    expect(result.pageInfo.hasNextPage).toBe(true);
  });

  test('a cursor whose time is written in another UTC offset continues at the same place', async () => {
    const firstPage = await list({ first: 6 });
    const [activity, id] = JSON.parse(Buffer.from(firstPage.pageInfo.endCursor!, 'base64url').toString()) as [string, string];
    const [{ shifted }] = await sql(`select (?::timestamptz at time zone 'Asia/Kolkata')::text || '+05:30' as shifted`, [activity]);
    expect(shifted).not.toBe(activity);
    const viaShifted = await list({ first: 6, after: cursorOf([shifted, id]) });
    const viaOriginal = await list({ first: 6, after: firstPage.pageInfo.endCursor });
    expect(viaShifted.edges.map((e) => e.node.id)).toEqual(expected(['ACTIVE']).slice(6, 12));
    expect(viaShifted.edges.map((e) => e.node.id)).toEqual(viaOriginal.edges.map((e) => e.node.id));
  });

  test('a user with no conversations gets one empty page', async () => {
    const loner = await actor(server, 'Loner');
    const response = await server.request(PagingConversationsDocument, { first: 10 }, loner.token);
    expect(response.errors).toBeUndefined();
    expect(response.data!.conversations).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  test.each<[string, PagingConversationsQueryVariables]>([
    ['first > 100', { first: 101 }],
    ['negative first', { first: -1 }],
    ['garbage after', { first: 5, after: 'garbage!' }],
    ['a message cursor as after', { first: 5, after: cursorOf([12]) }],
    ['a cursor with a bad timestamp', { first: 5, after: cursorOf(['yesterday-ish', randomUUID()]) }],
    ['a cursor with a bad id', { first: 5, after: cursorOf(['2025-05-05 10:00:00+00', 'not-a-uuid']) }],
    ['a cursor with an impossible date', { first: 5, after: cursorOf(['2025-02-30 10:00:00+00', randomUUID()]) }],
    ['a cursor with an impossible offset', { first: 5, after: cursorOf(['2025-02-03 10:00:00+99', randomUUID()]) }],
  ])('%s is BAD_USER_INPUT', async (_name, variables) => {
    expectCode(await server.request(PagingConversationsDocument, variables, viewer.token), 'BAD_USER_INPUT');
  });
});
