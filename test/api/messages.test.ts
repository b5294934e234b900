import { randomUUID } from 'node:crypto';
import {
  ConversationDocument,
  MessagesDocument,
  PostSystemMessageDocument,
  SendMessageDocument,
} from '../generated/graphql';
import { actor, codes, conversationPair, describeWithRedis, startTestServer, type Actor, type TestServer } from '../helpers/test-server';

const RATE_LIMIT = 5;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_MESSAGES_PER_HOUR: String(RATE_LIMIT), MESSAGE_MAX_LENGTH: '50' });
});
afterAll(() => server.stop());

const pair = () => conversationPair(server);

function send(who: Actor, conversationId: string, content: string, clientMessageId?: string) {
  return server.request(SendMessageDocument, { input: { conversationId, content, clientMessageId } }, who.token);
}

describe('sendMessage', () => {
  test('stores the message with sequence, sender, timestamps and echoes the key', async () => {
    const { ana, conversationId } = await pair();
    const result = await send(ana, conversationId, '  hello\nthere 👋  ', 'key-1');
    expect(result.errors).toBeUndefined();
    const message = result.data!.sendMessage;
    expect(message).toMatchObject({ sequence: 1, type: 'TEXT', content: 'hello\nthere 👋', clientMessageId: 'key-1', readAt: null });
    expect(message.sender).toEqual({ id: ana.id, displayName: 'Ana' });
    expect(message.deliveredAt).toBe(message.createdAt);
  });

  test('removes HTML and keeps plain text', async () => {
    const { ana, conversationId } = await pair();
    const html = await send(ana, conversationId, '<script>alert(1)</script><b>bold</b> a < b & c');
    expect(html.data!.sendMessage.content).toBe('bold a < b & c');
  });

  test('content that is empty after sanitising and trimming is refused, and nothing is stored', async () => {
    const { ana, conversationId } = await pair();
    for (const content of ['   ', '<script>x</script>', '<p> </p>']) {
      expect(codes(await send(ana, conversationId, content))).toEqual(['BAD_USER_INPUT']);
    }
    const tooLong = await send(ana, conversationId, 'x'.repeat(51));
    expect(codes(tooLong)).toEqual(['BAD_USER_INPUT']);
    const exactly = await send(ana, conversationId, '😀'.repeat(50));
    expect(exactly.errors).toBeUndefined();
    expect(exactly.data!.sendMessage.sequence).toBe(1);
  });

  test('metadata is stored and echoed; oversized metadata is refused', async () => {
    const { ana, conversationId } = await pair();
    const ok = await server.request(SendMessageDocument, { input: { conversationId, content: 'm', metadata: { jobId: 'j1', n: 2 } } }, ana.token);
    expect(ok.data!.sendMessage.metadata).toEqual({ jobId: 'j1', n: 2 });
    const big = await server.request(SendMessageDocument, { input: { conversationId, content: 'm', metadata: { blob: 'x'.repeat(5000) } } }, ana.token);
    expect(codes(big)).toEqual(['BAD_USER_INPUT']);
  });

  test('checks in the contract order: membership before content, rate limit before content', async () => {
    const { ana, conversationId } = await pair();
    const outsider = await actor(server, 'Eve');
    expect(codes(await send(outsider, conversationId, '   '))).toEqual(['NOT_FOUND']);
    for (let i = 0; i < RATE_LIMIT; i += 1) await send(ana, conversationId, `m${i}`);
    expect(codes(await send(ana, conversationId, '   '))).toEqual(['RATE_LIMITED']);
  });
});

describe('sequences', () => {
  test('are gapless under concurrent senders on both sides', async () => {
    const { ana, bo, conversationId } = await pair();
    const sends = Array.from({ length: 2 * RATE_LIMIT }, (_, i) => send(i % 2 === 0 ? ana : bo, conversationId, `m${i}`));
    const results = await Promise.all(sends);
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    const sequences = results.map((r) => r.data!.sendMessage.sequence).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 2 * RATE_LIMIT }, (_, i) => i + 1));
    const history = await server.request(MessagesDocument, { id: conversationId, first: 100 }, ana.token);
    const nodes = history.data!.conversation.messages.edges.map((e) => e.node);
    expect(nodes.map((n) => n.sequence)).toEqual(sequences);
    // createdAt never goes backwards along the sequence.
    const times = nodes.map((n) => Date.parse(n.createdAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe('idempotency', () => {
  test('a retry with the same key returns the first message and creates nothing', async () => {
    const { ana, conversationId } = await pair();
    const first = await send(ana, conversationId, 'once', 'k');
    const retry = await send(ana, conversationId, 'different body', 'k');
    expect(retry.data!.sendMessage).toEqual(first.data!.sendMessage);
    const next = await send(ana, conversationId, 'two', 'k2');
    expect(next.data!.sendMessage.sequence).toBe(2);
  });

  test('the key is per sender and per conversation', async () => {
    const { ana, bo, conversationId } = await pair();
    const a = await send(ana, conversationId, 'a', 'same');
    const b = await send(bo, conversationId, 'b', 'same');
    expect(b.data!.sendMessage.id).not.toBe(a.data!.sendMessage.id);
    const other = await pair();
    const c = await send(other.ana, other.conversationId, 'c', 'same');
    expect(c.data!.sendMessage.sequence).toBe(1);
  });

  test('concurrent retries with one key store exactly one message, without a gap', async () => {
    const { ana, conversationId } = await pair();
    const results = await Promise.all(Array.from({ length: 8 }, () => send(ana, conversationId, 'racing', 'race-key')));
    const ids = new Set(results.map((r) => r.data?.sendMessage.id));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.data!.sendMessage.sequence === 1)).toBe(true);
    const after = await send(ana, conversationId, 'next');
    expect(after.data!.sendMessage.sequence).toBe(2);
  });

  test('an invalid key is refused', async () => {
    const { ana, conversationId } = await pair();
    expect(codes(await send(ana, conversationId, 'x', 'k'.repeat(129)))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('rate limit', () => {
  test('the message over the limit answers RATE_LIMITED with retryAfterSeconds', async () => {
    const { ana, conversationId } = await pair();
    for (let i = 0; i < RATE_LIMIT; i += 1) expect((await send(ana, conversationId, `m${i}`)).errors).toBeUndefined();
    const over = await send(ana, conversationId, 'one too many');
    expect(codes(over)).toEqual(['RATE_LIMITED']);
    const retryAfter = over.errors![0].extensions!.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  });

  test('idempotent retries do not count and are answered even when the limit is reached', async () => {
    const { ana, conversationId } = await pair();
    const first = await send(ana, conversationId, 'first', 'r1');
    for (let i = 0; i < 5; i += 1) await send(ana, conversationId, 'first', 'r1');
    for (let i = 1; i < RATE_LIMIT; i += 1) expect((await send(ana, conversationId, `m${i}`)).errors).toBeUndefined();
    expect(codes(await send(ana, conversationId, 'limited'))).toEqual(['RATE_LIMITED']);
    const retry = await send(ana, conversationId, 'first', 'r1');
    expect(retry.data!.sendMessage.id).toBe(first.data!.sendMessage.id);
  });

  test('racing retries of one key take one point between them', async () => {
    const { ana, conversationId } = await pair();
    await Promise.all(Array.from({ length: 8 }, () => send(ana, conversationId, 'racing', 'one-point')));
    for (let i = 1; i < RATE_LIMIT; i += 1) expect((await send(ana, conversationId, `m${i}`)).errors).toBeUndefined();
    expect(codes(await send(ana, conversationId, 'limited'))).toEqual(['RATE_LIMITED']);
  });

  test('refused content gives its point back', async () => {
    const { ana, conversationId } = await pair();
    for (let i = 0; i < 3; i += 1) expect(codes(await send(ana, conversationId, '  '))).toEqual(['BAD_USER_INPUT']);
    for (let i = 0; i < RATE_LIMIT; i += 1) expect((await send(ana, conversationId, `m${i}`)).errors).toBeUndefined();
  });

  test('is per user', async () => {
    const { ana, bo, conversationId } = await pair();
    for (let i = 0; i < RATE_LIMIT; i += 1) await send(ana, conversationId, `m${i}`);
    expect((await send(bo, conversationId, 'bo is fine')).errors).toBeUndefined();
  });
});

describeWithRedis('rate limit across instances (Redis)', () => {
  test('is shared by every instance', async () => {
    const second = await startTestServer({ RATE_LIMIT_MESSAGES_PER_HOUR: String(RATE_LIMIT) });
    try {
      const { ana, conversationId } = await pair();
      for (let i = 0; i < RATE_LIMIT; i += 1) {
        const target = i % 2 === 0 ? server : second;
        const result = await target.request(SendMessageDocument, { input: { conversationId, content: `m${i}` } }, ana.token);
        expect(result.errors).toBeUndefined();
      }
      const over = await second.request(SendMessageDocument, { input: { conversationId, content: 'over' } }, ana.token);
      expect(codes(over)).toEqual(['RATE_LIMITED']);
    } finally {
      await second.stop();
    }
  });
});

describe('system messages and archived conversations', () => {
  test('postSystemMessage has no sender, continues the sequence and is not unread', async () => {
    const { ana, bo, conversationId } = await pair();
    await send(ana, conversationId, 'hi');
    const system = await server.request(
      PostSystemMessageDocument,
      { input: { conversationId, content: '<i>Application</i> accepted' } },
      await server.serviceToken(),
    );
    expect(system.data!.postSystemMessage).toMatchObject({ type: 'SYSTEM', sequence: 2, content: 'Application accepted', sender: null });
    const seenByBo = await server.request(ConversationDocument, { id: conversationId }, bo.token);
    expect(seenByBo.data!.conversation.unreadCount).toBe(1);
    expect(seenByBo.data!.conversation.lastMessage!.type).toBe('SYSTEM');
  });

  test('postSystemMessage to a missing conversation is NOT_FOUND', async () => {
    const result = await server.request(PostSystemMessageDocument, { input: { conversationId: randomUUID(), content: 'x' } }, await server.serviceToken());
    expect(codes(result)).toEqual(['NOT_FOUND']);
  });
});
