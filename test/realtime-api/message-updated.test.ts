import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import {
  AddReactionDocument,
  ChangedHistoryDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  MessageReceivedLeanDocument,
  MessageUpdatedDocument,
  RemoveReactionDocument,
  SendMessageDocument,
  type MessageUpdatedSubscription,
} from '../generated/graphql';
import { onQuery } from '../../src/db/orm';
import { actor, codes, startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, sleep, waitUntil, wsUrl } from './realtime-helpers';

/**
 * messageUpdated (CONTRACT.md "Editing, deleting, replies and reactions"): edits, deletions and
 * reaction changes reach both participants, each as that subscriber sees the message; a change
 * is never a messageReceived; with afterRevision the stored changes replay first, then live
 * ones, and a client resuming at random points ends with exactly the server's state. With
 * REDIS_URL the clients and writers are spread over two instances.
 */

let servers: TestServer[];

beforeAll(async () => {
  const env = { REDIS_PREFIX: `test:${randomUUID()}:`, RATE_LIMIT_MESSAGES_PER_HOUR: '100000' };
  servers = process.env.REDIS_URL ? await Promise.all([startTestServer(env), startTestServer(env)]) : [await startTestServer(env)];
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

const server = (index: number) => servers[index % servers.length];

type Update = MessageUpdatedSubscription['messageUpdated'];

async function send(by: Actor, conversationId: string, content: string): Promise<string> {
  const response = await server(0).request(SendMessageDocument, { input: { conversationId, content } }, by.token);
  expect(response.errors).toBeUndefined();
  return response.data!.sendMessage.id;
}

test('edits and reactions reach both participants live, with reactedByViewer their own, and never as messageReceived', async () => {
  const { ana, bo, conversationId } = await conversationPair(server(0));
  const messageId = await send(ana, conversationId, 'helo');
  const anaClient = new RealtimeClient(wsUrl(server(0)), ana.token);
  const boClient = new RealtimeClient(wsUrl(server(1)), bo.token);
  try {
    const anaUpdates = anaClient.subscribe(MessageUpdatedDocument, { conversationId });
    const boUpdates = boClient.subscribe(MessageUpdatedDocument, {});
    const boReceived = boClient.subscribe(MessageReceivedLeanDocument, { conversationId });
    await sleep(300);
    await server(0).request(EditMessageDocument, { input: { messageId, content: 'hello' } }, ana.token);
    await server(1).request(AddReactionDocument, { messageId, emoji: '👍' }, bo.token);
    await Promise.all([anaUpdates.count(2), boUpdates.count(2)]);
    const forAna = anaUpdates.values.map((v) => v.messageUpdated);
    const forBo = boUpdates.values.map((v) => v.messageUpdated);
    expect(forAna.map((u) => [u.content, u.revision])).toEqual([
      ['hello', 1],
      ['hello', 2],
    ]);
    expect(forAna[1].reactions).toEqual([{ emoji: '👍', count: 1, reactedByViewer: false }]);
    expect(forBo[1].reactions).toEqual([{ emoji: '👍', count: 1, reactedByViewer: true }]);
    await sleep(200);
    expect(boReceived.values).toEqual([]);
  } finally {
    await Promise.all([anaClient.dispose(), boClient.dispose()]);
  }
});

test('afterRevision replays the changed messages in revision order, in their current state, then goes live', async () => {
  const { ana, bo, conversationId } = await conversationPair(server(0));
  const first = await send(ana, conversationId, 'one');
  const second = await send(ana, conversationId, 'two');
  await server(0).request(EditMessageDocument, { input: { messageId: first, content: 'one!' } }, ana.token); // 1
  await server(0).request(AddReactionDocument, { messageId: second, emoji: '🎉' }, bo.token); // 2
  await server(0).request(EditMessageDocument, { input: { messageId: first, content: 'one!!' } }, ana.token); // 3
  const client = new RealtimeClient(wsUrl(server(1)), bo.token);
  try {
    const stream = client.subscribe(MessageUpdatedDocument, { conversationId, afterRevision: 1 });
    await stream.count(2);
    expect(stream.values.map((v) => [v.messageUpdated.id, v.messageUpdated.revision, v.messageUpdated.content])).toEqual([
      [second, 2, 'two'],
      [first, 3, 'one!!'],
    ]);
    await server(0).request(DeleteMessageDocument, { messageId: second }, ana.token);
    await stream.count(3);
    expect(stream.values[2].messageUpdated).toMatchObject({ id: second, revision: 4, content: null, reactions: [] });
  } finally {
    await client.dispose();
  }
});

test('a change whose publish never happened (its instance died) is published by the outbox relay', async () => {
  const { ana, bo, conversationId } = await conversationPair(server(0));
  const messageId = await send(ana, conversationId, 'before');
  const client = new RealtimeClient(wsUrl(server(1)), bo.token);
  try {
    const stream = client.subscribe(MessageUpdatedDocument, { conversationId });
    await sleep(300);
    // What the change's transaction commits, with an outbox row nobody published: its lease ran out.
    await server(0).service.orm.em.fork().execute(
      `with bumped as (update conversations set last_revision = last_revision + 1 where id = ? returning last_revision)
       update messages set content = 'after', edited_at = now(), revision = (select last_revision from bumped) where id = ?`,
      [conversationId, messageId],
    );
    await server(0).service.orm.em.fork().execute(`insert into outbox (kind, message_id, lease_until) values ('message_updated', ?, now() - interval '1 second')`, [messageId]);
    await stream.count(1, 8000);
    expect(stream.values[0].messageUpdated).toMatchObject({ id: messageId, content: 'after', revision: 1 });
  } finally {
    await client.dispose();
  }
});

test('messageReceived carries the replyTo id and an empty reaction list: delivering them reads nothing', async () => {
  const { ana, bo, conversationId } = await conversationPair(server(0));
  const first = await send(ana, conversationId, 'question');
  const client = new RealtimeClient(wsUrl(server(1)), ana.token);
  const reads: string[] = [];
  const stop = onQuery((query) => {
    if (/from messages where id = any|from message_reactions/.test(query)) reads.push(query);
  });
  try {
    const stream = client.subscribeRaw(
      'subscription($c: ID) { messageReceived(conversationId: $c) { id revision replyTo { id } reactions { emoji } } }',
      { c: conversationId },
    );
    await sleep(300);
    const reply = await server(0).request(SendMessageDocument, { input: { conversationId, content: 'answer', replyToId: first } }, bo.token);
    await stream.count(1);
    expect(stream.values[0]).toEqual({ messageReceived: { id: reply.data!.sendMessage.id, revision: 0, replyTo: { id: first }, reactions: [] } });
    expect(reads).toEqual([]);
  } finally {
    stop();
    await client.dispose();
  }
});

test('afterRevision needs a conversationId; an outsider gets NOT_FOUND', async () => {
  const { conversationId } = await conversationPair(server(0));
  const outsider = await actor(server(0), 'Eve');
  const client = new RealtimeClient(wsUrl(server(0)), outsider.token);
  try {
    const withoutConversation = client.subscribe(MessageUpdatedDocument, { afterRevision: 0 });
    const foreign = client.subscribe(MessageUpdatedDocument, { conversationId });
    await waitUntil(() => withoutConversation.errors.length > 0 && foreign.errors.length > 0, 'both subscriptions to be refused');
    expect(codes({ errors: withoutConversation.errors })).toEqual(['BAD_USER_INPUT']);
    expect(codes({ errors: foreign.errors })).toEqual(['NOT_FOUND']);
  } finally {
    await client.dispose();
  }
});

type Step =
  | { kind: 'edit'; message: number; via: number }
  | { kind: 'react'; message: number; emoji: number; by: 0 | 1; add: boolean; via: number }
  | { kind: 'delete'; message: number; via: number }
  | { kind: 'disconnect' }
  | { kind: 'reconnect'; via: number }
  | { kind: 'wait'; ms: number };

const MESSAGES = 3;
const EMOJI = ['👍', '❤️', '😂'];

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('edit' as const), message: fc.nat(MESSAGES - 1), via: fc.nat(1) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('react' as const),
      message: fc.nat(MESSAGES - 1),
      emoji: fc.nat(EMOJI.length - 1),
      by: fc.constantFrom(0 as const, 1 as const),
      add: fc.boolean(),
      via: fc.nat(1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), message: fc.nat(MESSAGES - 1), via: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'disconnect' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), via: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 30 }) }) },
);

/** Bo's device: the latest state per message it has seen, and the highest revision. */
class Device {
  readonly states = new Map<string, Update>();
  revision = 0;
  private client: RealtimeClient | null = null;
  private stream: { values: MessageUpdatedSubscription[] } | null = null;
  private applied = 0;

  constructor(
    private readonly who: Actor,
    private readonly conversationId: string,
  ) {}

  connect(via: number): void {
    if (this.client) return;
    this.client = new RealtimeClient(wsUrl(server(via)), this.who.token);
    this.stream = this.client.subscribe(MessageUpdatedDocument, { conversationId: this.conversationId, afterRevision: this.revision });
    this.applied = 0;
  }

  async disconnect(): Promise<void> {
    if (!this.client) return;
    const client = this.client;
    this.client = null;
    await client.dispose();
    this.apply();
    this.stream = null;
  }

  /** Applies what arrived, in order; a revision not above the highest seen is a duplicate or a gap's sign. */
  apply(): void {
    if (!this.stream) return;
    for (const { messageUpdated: update } of this.stream.values.slice(this.applied)) {
      expect(update.revision).toBeGreaterThan(this.revision);
      this.revision = update.revision;
      this.states.set(update.id, update);
    }
    this.applied = this.stream.values.length;
  }
}

test('a client resuming at random points while changes keep coming ends with exactly the server state', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArbitrary, { minLength: 3, maxLength: 16 }), async (steps) => {
      const { ana, bo, conversationId } = await conversationPair(server(0));
      const ids: string[] = [];
      for (let i = 0; i < MESSAGES; i += 1) ids.push(await send(i % 2 === 0 ? ana : bo, conversationId, `m${i}`));
      const device = new Device(bo, conversationId);
      device.connect(0);
      const changes: Promise<{ errors?: unknown }>[] = [];
      let edits = 0;
      try {
        for (const step of steps) {
          if (step.kind === 'edit') {
            edits += 1;
            const messageId = ids[step.message];
            const author = step.message % 2 === 0 ? ana : bo;
            changes.push(server(step.via).request(EditMessageDocument, { input: { messageId, content: `edit ${edits}` } }, author.token));
          } else if (step.kind === 'react') {
            const by = step.by === 0 ? ana : bo;
            const variables = { messageId: ids[step.message], emoji: EMOJI[step.emoji] };
            const target = server(step.via);
            changes.push(step.add ? target.request(AddReactionDocument, variables, by.token) : target.request(RemoveReactionDocument, variables, by.token));
          } else if (step.kind === 'delete') {
            const author = step.message % 2 === 0 ? ana : bo;
            changes.push(server(step.via).request(DeleteMessageDocument, { messageId: ids[step.message] }, author.token));
          } else if (step.kind === 'disconnect') {
            await device.disconnect();
          } else if (step.kind === 'reconnect') {
            device.connect(step.via);
          } else {
            await sleep(step.ms);
          }
        }
        // Changes of a tombstone are refused (BAD_USER_INPUT / FORBIDDEN); everything else went through.
        const results = await Promise.all(changes);
        for (const result of results) if (result.errors) expect(codes(result as never)).toEqual([expect.stringMatching(/BAD_USER_INPUT|FORBIDDEN/)]);
        device.connect(1);
        const history = await server(0).request(ChangedHistoryDocument, { id: conversationId, first: 10 }, bo.token);
        const changed = history.data!.conversation.messages.edges.map((e) => e.node).filter((node) => node.revision > 0);
        const last = Math.max(0, ...changed.map((node) => node.revision));
        await waitUntil(() => {
          device.apply();
          return device.revision >= last;
        }, `the device to reach revision ${last}`);
        const expected = Object.fromEntries(
          changed.map((node) => [node.id, { revision: node.revision, content: node.content, deleted: node.deletedAt !== null, reactions: node.reactions.map((r) => [r.emoji, r.count, r.reactedByViewer]) }]),
        );
        const seen = Object.fromEntries(
          [...device.states.values()].map((u) => [u.id, { revision: u.revision, content: u.content, deleted: u.deletedAt !== null, reactions: u.reactions.map((r) => [r.emoji, r.count, r.reactedByViewer]) }]),
        );
        expect(seen).toEqual(expected);
      } finally {
        await device.disconnect();
      }
    }),
    { numRuns: 12 },
  );
}, 90_000);
