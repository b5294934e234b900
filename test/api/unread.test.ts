/**
 * unreadCount / unreadTotal are exact after any interleaving of sends and reads (checked
 * against a model with fast-check), and markRead marks each message once, never the
 * viewer's own, idempotently, also under concurrent calls.
 */
import fc from 'fast-check';
import {
  MarkReadDocument,
  PagingMessagesDocument,
  ReadingStateDocument,
  SendMessageDocument,
  StartConversationDocument,
  type MarkReadInput,
} from '../generated/graphql';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_MESSAGES_PER_HOUR: '100000' });
});
afterAll(() => server.stop());

async function pair(): Promise<[Actor, Actor]> {
  const a = await actor(server, 'Ana');
  const b = await actor(server, 'Bo');
  await Promise.all([a, b].map((user) => server.raw({ query: '{ me { id } }' }, user.token)));
  return [a, b];
}

async function start(by: Actor, other: Actor, jobApplicationId?: string): Promise<string> {
  const response = await server.request(StartConversationDocument, { input: { participantId: other.id, jobApplicationId } }, by.token);
  expect(response.errors).toBeUndefined();
  return response.data!.startConversation.id;
}

async function send(by: Actor, conversationId: string, content: string): Promise<{ id: string; sequence: number }> {
  const response = await server.request(SendMessageDocument, { input: { conversationId, content } }, by.token);
  expect(response.errors).toBeUndefined();
  return response.data!.sendMessage;
}

async function markRead(by: Actor, input: MarkReadInput): Promise<{ messageIds: string[]; unreadCount: number }> {
  const response = await server.request(MarkReadDocument, { input }, by.token);
  expect(response.errors).toBeUndefined();
  return { messageIds: response.data!.markRead.messageIds, unreadCount: response.data!.markRead.conversation.unreadCount };
}

const sorted = (ids: Iterable<string>) => [...ids].sort();

describe('unread counts follow a model through random sends and reads', () => {
  type Who = 0 | 1;
  type Action =
    | { kind: 'send'; conversation: Who; from: Who }
    | { kind: 'readAll'; conversation: Who; by: Who }
    | { kind: 'readUpTo'; conversation: Who; by: Who; pick: number }
    | { kind: 'readIds'; conversation: Who; by: Who; picks: number[]; foreign: boolean };

  const who = fc.constantFrom<Who>(0, 1);
  const action: fc.Arbitrary<Action> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), conversation: who, from: who }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('readAll' as const), conversation: who, by: who }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('readUpTo' as const), conversation: who, by: who, pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('readIds' as const),
        conversation: who,
        by: who,
        picks: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        foreign: fc.boolean(),
      }),
    },
  );

  interface ModelMessage {
    id: string;
    sequence: number;
    from: Who;
    read: boolean;
  }

  test('unreadCount and unreadTotal equal the model after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 10 }), async (actions) => {
        const users = await pair();
        const conversations = [await start(users[0], users[1]), await start(users[1], users[0], 'job-7')];
        const model: ModelMessage[][] = [[], []];
        const unread = (conversation: Who, viewer: Who) => model[conversation].filter((m) => m.from !== viewer && !m.read).length;

        for (const [step, act] of actions.entries()) {
          const messages = model[act.conversation];
          if (act.kind === 'send') {
            const message = await send(users[act.from], conversations[act.conversation], `step ${step}`);
            expect(message.sequence).toBe(messages.length + 1);
            messages.push({ id: message.id, sequence: message.sequence, from: act.from, read: false });
          } else {
            const input: MarkReadInput = { conversationId: conversations[act.conversation] };
            let covered: (m: ModelMessage) => boolean = () => true;
            if (act.kind === 'readUpTo' && messages.length > 0) {
              // Any message, the reader's own or already read ones included.
              const upTo = messages[act.pick % messages.length];
              input.upToMessageId = upTo.id;
              covered = (m) => m.sequence <= upTo.sequence;
            } else if (act.kind === 'readIds') {
              const ids = new Set(messages.length > 0 ? act.picks.map((p) => messages[p % messages.length].id) : []);
              // An id of the other conversation is never marked through this one.
              const elsewhere = model[act.conversation === 0 ? 1 : 0];
              if (act.foreign && elsewhere.length > 0) ids.add(elsewhere[act.picks[0] % elsewhere.length].id);
              if (ids.size > 0) {
                input.messageIds = [...ids];
                covered = (m) => ids.has(m.id);
              }
            }
            const newly = messages.filter((m) => m.from !== act.by && !m.read && covered(m));
            for (const m of newly) m.read = true;
            const result = await markRead(users[act.by], input);
            expect(sorted(result.messageIds)).toEqual(sorted(newly.map((m) => m.id)));
            expect(result.unreadCount).toBe(unread(act.conversation, act.by));
          }

          const states = await Promise.all(
            users.map((user) => server.request(ReadingStateDocument, { c1: conversations[0], c2: conversations[1] }, user.token)),
          );
          for (const viewer of [0, 1] as const) {
            const state = states[viewer];
            expect(state.errors).toBeUndefined();
            expect({ c1: state.data!.c1.unreadCount, c2: state.data!.c2.unreadCount, total: state.data!.unreadTotal }).toEqual({
              c1: unread(0, viewer),
              c2: unread(1, viewer),
              total: unread(0, viewer) + unread(1, viewer),
            });
          }
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('markRead', () => {
  let ana: Actor;
  let bo: Actor;
  let conversationId: string;
  let fromAna: { id: string; sequence: number }[];
  let fromBo: { id: string; sequence: number }[];

  /** Sends `count` messages concurrently, `batch` at a time. */
  async function sendMany(by: Actor, count: number, batch = 10) {
    const out: { id: string; sequence: number }[] = [];
    for (let i = 0; i < count; i += batch) {
      out.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => send(by, conversationId, `${by.name} ${i + j}`)))));
    }
    return out;
  }

  async function readStates(): Promise<Map<string, string | null>> {
    const response = await server.request(PagingMessagesDocument, { id: conversationId, last: 100 }, bo.token);
    expect(response.errors).toBeUndefined();
    return new Map(response.data!.conversation.messages.edges.map((e) => [e.node.id, e.node.readAt ?? null]));
  }

  beforeAll(async () => {
    [ana, bo] = await pair();
    conversationId = await start(ana, bo);
    [fromAna, fromBo] = await Promise.all([sendMany(ana, 40), sendMany(bo, 10)]);
  });

  test('concurrent calls mark each unread message of the other participant exactly once', async () => {
    const pick = (list: { id: string }[], every: number, offset: number) => list.filter((_, i) => i % every === offset).map((m) => m.id);
    const bySequence = [...fromAna].sort((x, y) => x.sequence - y.sequence);
    const inputs: MarkReadInput[] = [
      ...Array.from({ length: 4 }, () => ({ conversationId })),
      ...[5, 15, 25, 35].map((i) => ({ conversationId, upToMessageId: bySequence[i].id })),
      ...[0, 1, 2].map((offset) => ({ conversationId, messageIds: [...pick(fromAna, 3, offset), ...pick(fromBo, 2, offset % 2)] })),
      { conversationId, messageIds: fromBo.map((m) => m.id) },
      ...[0, 1, 2, 3].map((offset) => ({ conversationId, messageIds: pick(fromAna, 4, offset) })),
    ];
    const results = await Promise.all(inputs.map((input) => markRead(bo, input)));
    const all = results.flatMap((r) => r.messageIds);
    expect(all.length).toBe(fromAna.length);
    expect(sorted(new Set(all))).toEqual(sorted(fromAna.map((m) => m.id)));
    // Bo's own messages stay unread (by Ana), Ana's are all read.
    const states = await readStates();
    for (const m of fromAna) expect(states.get(m.id)).toEqual(expect.any(String));
    for (const m of fromBo) expect(states.get(m.id)).toBeNull();
    // Idempotent: nothing left to mark.
    expect(await markRead(bo, { conversationId })).toEqual({ messageIds: [], unreadCount: 0 });
    expect(await markRead(bo, inputs[5])).toEqual({ messageIds: [], unreadCount: 0 });
  });

  test('overlapping partial calls mark exactly the union of what they cover, once', async () => {
    const more = await sendMany(ana, 30);
    const bySequence = [...more].sort((x, y) => x.sequence - y.sequence);
    const upTo = bySequence[9];
    const subsets = [0, 1, 2, 3, 4, 5].map((k) => bySequence.filter((_, i) => i % 6 === k || i % 5 === k).map((m) => m.id));
    const inputs: MarkReadInput[] = [
      { conversationId, upToMessageId: upTo.id },
      { conversationId, upToMessageId: upTo.id },
      ...subsets.slice(0, 4).map((messageIds) => ({ conversationId, messageIds })),
      ...subsets.slice(0, 4).map((messageIds) => ({ conversationId, messageIds: [...messageIds].reverse() })),
    ];
    const covered = new Set([...bySequence.filter((m) => m.sequence <= upTo.sequence).map((m) => m.id), ...subsets.slice(0, 4).flat()]);
    expect(covered.size).toBeLessThan(more.length);

    const results = await Promise.all(inputs.map((input) => markRead(bo, input)));
    const all = results.flatMap((r) => r.messageIds);
    expect(all.length).toBe(covered.size);
    expect(sorted(all)).toEqual(sorted(covered));

    const states = await readStates();
    for (const m of more) expect(states.get(m.id) !== null).toBe(covered.has(m.id));
    const state = await server.request(ReadingStateDocument, { c1: conversationId, c2: conversationId }, bo.token);
    expect(state.data).toEqual({
      unreadTotal: more.length - covered.size,
      c1: { id: conversationId, unreadCount: more.length - covered.size },
      c2: { id: conversationId, unreadCount: more.length - covered.size },
    });
    // The rest, by a final call; then nothing.
    const rest = await markRead(bo, { conversationId });
    expect(sorted(rest.messageIds)).toEqual(sorted(more.filter((m) => !covered.has(m.id)).map((m) => m.id)));
    expect(rest.unreadCount).toBe(0);
    expect((await markRead(bo, { conversationId })).messageIds).toEqual([]);
  });

  test("never marks the viewer's own messages, whichever way they are named", async () => {
    const own = fromBo.map((m) => m.id);
    const newest = [...fromBo].sort((x, y) => y.sequence - x.sequence)[0];
    expect(await markRead(bo, { conversationId, messageIds: own })).toEqual({ messageIds: [], unreadCount: 0 });
    expect(await markRead(bo, { conversationId, upToMessageId: newest.id })).toEqual({ messageIds: [], unreadCount: 0 });
    // Ana's view: Bo's messages are still unread for her, and she can read them.
    const before = await server.request(ReadingStateDocument, { c1: conversationId, c2: conversationId }, ana.token);
    expect(before.data!.unreadTotal).toBe(fromBo.length);
    const concurrent = await Promise.all(Array.from({ length: 6 }, () => markRead(ana, { conversationId })));
    const marked = concurrent.flatMap((r) => r.messageIds);
    expect(sorted(marked)).toEqual(sorted(own));
    expect(concurrent.filter((r) => r.messageIds.length > 0).length).toBeGreaterThanOrEqual(1);
    const after = await server.request(ReadingStateDocument, { c1: conversationId, c2: conversationId }, ana.token);
    expect(after.data!.unreadTotal).toBe(0);
  });
});
