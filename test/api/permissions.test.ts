import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  ArchiveConversationDocument,
  ConversationDocument,
  ConversationsDocument,
  MarkReadDocument,
  MeDocument,
  MessagesDocument,
  NotificationPreferencesDocument,
  PostSystemMessageDocument,
  PushDevicesDocument,
  RegisterPushDeviceDocument,
  SendMessageDocument,
  ServiceStartConversationDocument,
  StartConversationDocument,
  UnarchiveConversationDocument,
  UnreadTotalDocument,
  UnregisterPushDeviceDocument,
  UpdateNotificationPreferencesDocument,
  UpsertUserDocument,
} from '../generated/graphql';
import { actor, startTestServer, type Actor, type TestServer } from '../helpers/test-server';

/**
 * The permission matrix: every operation of the schema, called by each kind of caller.
 * Outsiders get NOT_FOUND for a conversation, exactly as for one that does not exist.
 */
type Caller = 'participant' | 'otherParticipant' | 'outsider' | 'service' | 'noToken';
type Expected = 'OK' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED';

interface World {
  owner: Actor;
  other: Actor;
  outsider: Actor;
  serviceToken: string;
  conversationId: string;
  messageFromOwner: string;
}

interface Case {
  name: string;
  call: (world: World, caller: Actor | null) => [TypedDocumentNode<unknown, never>, unknown];
  expected: Record<Caller, Expected>;
}

const onConversation: Record<Caller, Expected> = {
  participant: 'OK',
  otherParticipant: 'OK',
  outsider: 'NOT_FOUND',
  service: 'FORBIDDEN',
  noToken: 'UNAUTHENTICATED',
};
const anyUser: Record<Caller, Expected> = {
  participant: 'OK',
  otherParticipant: 'OK',
  outsider: 'OK',
  service: 'FORBIDDEN',
  noToken: 'UNAUTHENTICATED',
};
const serviceOnly: Record<Caller, Expected> = {
  participant: 'FORBIDDEN',
  otherParticipant: 'FORBIDDEN',
  outsider: 'FORBIDDEN',
  service: 'OK',
  noToken: 'UNAUTHENTICATED',
};

const op = <R, V>(doc: TypedDocumentNode<R, V>, variables: V) => [doc, variables] as [TypedDocumentNode<unknown, never>, unknown];

const cases: Case[] = [
  { name: 'me', call: () => op(MeDocument, {}), expected: anyUser },
  { name: 'conversation', call: (w) => op(ConversationDocument, { id: w.conversationId }), expected: onConversation },
  { name: 'conversation.messages', call: (w) => op(MessagesDocument, { id: w.conversationId, first: 10 }), expected: onConversation },
  { name: 'conversations', call: () => op(ConversationsDocument, {}), expected: anyUser },
  { name: 'unreadTotal', call: () => op(UnreadTotalDocument, {}), expected: anyUser },
  { name: 'notificationPreferences', call: () => op(NotificationPreferencesDocument, {}), expected: anyUser },
  { name: 'pushDevices', call: () => op(PushDevicesDocument, {}), expected: anyUser },
  {
    name: 'startConversation',
    call: (w, caller) =>
      op(StartConversationDocument, { input: { participantId: caller?.id === w.owner.id ? w.other.id : w.owner.id, jobApplicationId: randomUUID() } }),
    expected: anyUser,
  },
  {
    name: 'sendMessage',
    call: (w) => op(SendMessageDocument, { input: { conversationId: w.conversationId, content: 'hello' } }),
    expected: onConversation,
  },
  { name: 'markRead', call: (w) => op(MarkReadDocument, { input: { conversationId: w.conversationId } }), expected: onConversation },
  { name: 'archiveConversation', call: (w) => op(ArchiveConversationDocument, { id: w.conversationId }), expected: onConversation },
  { name: 'unarchiveConversation', call: (w) => op(UnarchiveConversationDocument, { id: w.conversationId }), expected: onConversation },
  {
    name: 'updateNotificationPreferences',
    call: () => op(UpdateNotificationPreferencesDocument, { input: { newReviewPush: false } }),
    expected: anyUser,
  },
  {
    name: 'registerPushDevice',
    call: () => op(RegisterPushDeviceDocument, { input: { token: `tok-${randomUUID()}`, platform: 'ANDROID' } }),
    expected: anyUser,
  },
  { name: 'unregisterPushDevice', call: () => op(UnregisterPushDeviceDocument, { token: 'nope' }), expected: anyUser },
  { name: 'upsertUser', call: () => op(UpsertUserDocument, { input: { id: randomUUID(), displayName: 'X' } }), expected: serviceOnly },
  {
    name: 'serviceStartConversation',
    call: (w) => op(ServiceStartConversationDocument, { input: { participantIds: [w.owner.id, w.outsider.id], jobApplicationId: randomUUID() } }),
    expected: serviceOnly,
  },
  {
    name: 'postSystemMessage',
    call: (w) => op(PostSystemMessageDocument, { input: { conversationId: w.conversationId, content: 'Application accepted' } }),
    expected: serviceOnly,
  },
];

let server: TestServer;
let world: World;

beforeAll(async () => {
  server = await startTestServer();
  const [owner, other, outsider] = await Promise.all([actor(server, 'Owner'), actor(server, 'Other'), actor(server, 'Outsider')]);
  for (const person of [owner, other, outsider]) await server.request(MeDocument, {}, person.token);
  const started = await server.request(StartConversationDocument, { input: { participantId: other.id } }, owner.token);
  const conversationId = started.data!.startConversation.id;
  const sent = await server.request(SendMessageDocument, { input: { conversationId, content: 'first' } }, owner.token);
  world = { owner, other, outsider, serviceToken: await server.serviceToken(), conversationId, messageFromOwner: sent.data!.sendMessage.id };
});
afterAll(() => server.stop());

const callers: Caller[] = ['participant', 'otherParticipant', 'outsider', 'service', 'noToken'];

describe.each(cases)('$name', (testCase) => {
  test.each(callers)('called by %s', async (caller) => {
    const person = { participant: world.owner, otherParticipant: world.other, outsider: world.outsider, service: null, noToken: null }[caller];
    const token = caller === 'service' ? world.serviceToken : (person?.token ?? null);
    const [document, variables] = testCase.call(world, person);
    const result = await server.request(document, variables as never, token);
    const expected = testCase.expected[caller];
    if (expected === 'OK') {
      expect(result.errors).toBeUndefined();
      expect(result.data).toBeTruthy();
    } else {
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual([expected]);
      expect(result.data ?? null).toBeNull();
    }
  });
});

test('an outsider cannot tell an existing conversation from a missing one', async () => {
  const missing = await server.request(ConversationDocument, { id: randomUUID() }, world.outsider.token);
  const existing = await server.request(ConversationDocument, { id: world.conversationId }, world.outsider.token);
  expect(existing.errors).toEqual(missing.errors);
});
