/**
 * searchMessages (CONTRACT.md "Search"): every word, accents and case ignored, no stemming, the
 * last word as a prefix; only the viewer's conversations; ranked then newest; cursors; highlights.
 */
import { Pool } from 'pg';
import { DeleteMessageDocument, SearchMessagesDocument, SendMessageDocument } from '../generated/graphql';
import { actor, codes, conversationPair, startTestServer, type Actor, type TestServer } from '../helpers/test-server';

let server: TestServer;
let db: Pool;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_MESSAGES_PER_HOUR: '100000' });
  db = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
});
afterAll(async () => {
  await db.end();
  await server.stop();
});

async function send(by: Actor, conversationId: string, content: string): Promise<string> {
  const response = await server.request(SendMessageDocument, { input: { conversationId, content } }, by.token);
  expect(response.errors).toBeUndefined();
  return response.data!.sendMessage.id;
}

async function search(by: Actor, query: string, extra: { conversationId?: string; first?: number; after?: string } = {}) {
  const response = await server.request(SearchMessagesDocument, { query, ...extra }, by.token);
  expect(response.errors).toBeUndefined();
  return response.data!.searchMessages;
}

const contents = (page: Awaited<ReturnType<typeof search>>) => page.edges.map((e) => e.node.content);

test('every word counts, ignoring case and accents, without stemming; the last word is a prefix', async () => {
  const { ana, bo, conversationId } = await conversationPair(server);
  await send(ana, conversationId, 'El Camión llega mañana');
  await send(bo, conversationId, 'Busco un electricista para el lunes');
  await send(ana, conversationId, 'camiones y camionetas');
  expect(contents(await search(ana, 'camion'))).toEqual(expect.arrayContaining(['El Camión llega mañana', 'camiones y camionetas']));
  expect(contents(await search(bo, 'CAMIÓN llega'))).toEqual(['El Camión llega mañana']);
  expect(contents(await search(bo, 'electric'))).toEqual(['Busco un electricista para el lunes']);
  // Not the last word: no prefix, no stemming.
  expect(contents(await search(bo, 'electric para'))).toEqual([]);
  expect(contents(await search(bo, 'camion llega'))).toEqual(['El Camión llega mañana']);
  expect(contents(await search(bo, 'manana'))).toEqual(['El Camión llega mañana']);
});

test("only the viewer's conversations are searched (both participants' messages, archived too); a foreign conversationId is NOT_FOUND", async () => {
  const mine = await conversationPair(server);
  const theirs = await conversationPair(server);
  const word = `zebra${Date.now()}`;
  await send(mine.ana, mine.conversationId, `${word} from Ana`);
  await send(mine.bo, mine.conversationId, `${word} from Bo`);
  await send(theirs.ana, theirs.conversationId, `${word} elsewhere`);
  await db.query(`update conversations set status = 'ARCHIVED' where id = $1`, [mine.conversationId]);
  expect(contents(await search(mine.ana, word)).sort()).toEqual([`${word} from Ana`, `${word} from Bo`]);
  expect(contents(await search(theirs.bo, word))).toEqual([`${word} elsewhere`]);
  const scoped = await search(mine.bo, word, { conversationId: mine.conversationId });
  expect(scoped.edges).toHaveLength(2);
  const foreign = await server.request(SearchMessagesDocument, { query: word, conversationId: theirs.conversationId }, mine.ana.token);
  expect(codes(foreign)).toEqual(['NOT_FOUND']);
  const outsider = await actor(server, 'Eve');
  expect((await search(outsider, word)).edges).toEqual([]);
});

test('deleted messages are not found', async () => {
  const { ana, conversationId } = await conversationPair(server);
  const word = `yak${Date.now()}`;
  const id = await send(ana, conversationId, `${word} secret`);
  expect((await search(ana, word)).edges).toHaveLength(1);
  await server.request(DeleteMessageDocument, { messageId: id }, ana.token);
  expect((await search(ana, word)).edges).toEqual([]);
});

test('ranked by relevance, then newest first; pages with opaque cursors cover every match once', async () => {
  const { ana, conversationId } = await conversationPair(server);
  const word = `kiwi${Date.now()}`;
  const once = [];
  for (let i = 0; i < 5; i += 1) once.push(await send(ana, conversationId, `${word} number ${i}`));
  const twice = await send(ana, conversationId, `${word} ${word} ${word} best`);
  const all = await search(ana, word, { first: 50 });
  expect(all.edges[0].node.id).toBe(twice);
  expect(all.edges.slice(1).map((e) => e.node.id)).toEqual([...once].reverse());
  const seen: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await search(ana, word, { first: 2, after });
    seen.push(...page.edges.map((e) => e.node.id));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor!;
  }
  expect(seen).toEqual(all.edges.map((e) => e.node.id));
});

test('highlights cover every occurrence of a query word, the whole word for the prefix, in UTF-16 indices', async () => {
  const { ana, conversationId } = await conversationPair(server);
  const content = '👍 Electricista: ¿el ELECTRICISTA viene? Llega el camión';
  await send(ana, conversationId, content);
  const page = await search(ana, 'camion electric', { conversationId });
  expect(page.edges).toHaveLength(1);
  const words = page.edges[0].highlights.map((h) => content.slice(h.start, h.start + h.length));
  expect(words).toEqual(['Electricista', 'ELECTRICISTA', 'camión']);
  expect(page.edges[0].highlights[0]).toEqual({ start: 3, length: 12 }); // after 👍 (two UTF-16 units) and a space
  const other = await search(ana, 'el llega', { conversationId });
  expect(other.edges[0].highlights.map((h) => content.slice(h.start, h.start + h.length))).toEqual(['el', 'Llega', 'el']);
});

test.each([
  ['', 'empty'],
  ['   ', 'blank'],
  ['?!…', 'no letter or digit'],
  ['x'.repeat(201), 'over 200 characters'],
])('query %j (%s) is BAD_USER_INPUT', async (query) => {
  const { ana } = await conversationPair(server);
  expect(codes(await server.request(SearchMessagesDocument, { query }, ana.token))).toEqual(['BAD_USER_INPUT']);
});

test('first over 50 and a forged cursor are BAD_USER_INPUT; operators in the query are only words', async () => {
  const { ana, conversationId } = await conversationPair(server);
  expect(codes(await server.request(SearchMessagesDocument, { query: 'a', first: 51 }, ana.token))).toEqual(['BAD_USER_INPUT']);
  const forged = Buffer.from(JSON.stringify(["1'; drop table messages; --", 'x', 'y'])).toString('base64url');
  expect(codes(await server.request(SearchMessagesDocument, { query: 'a', after: forged }, ana.token))).toEqual(['BAD_USER_INPUT']);
  await send(ana, conversationId, 'tom & jerry');
  expect(contents(await search(ana, "tom & !jerry' | (", { conversationId }))).toEqual(['tom & jerry']);
});
