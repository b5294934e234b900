import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  AddReactionDocument,
  ArchiveConversationDocument,
  BlockedUsersDocument,
  BlockUserDocument,
  EraseUserDocument,
  ExportUserDataDocument,
  ReportMessageDocument,
  ReportsDocument,
  ReportUserDocument,
  ResolveReportDocument,
  UnblockUserDocument,
  ConversationDocument,
  ConversationsDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  MarkReadDocument,
  MeDocument,
  MessagesDocument,
  NotificationPreferencesDocument,
  PostSystemMessageDocument,
  PushDevicesDocument,
  RegisterPushDeviceDocument,
  RemoveReactionDocument,
  SearchMessagesDocument,
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
type Expected = 'OK' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'BAD_USER_INPUT';

interface World {
  owner: Actor;
  other: Actor;
  outsider: Actor;
  /** Someone nobody shares a conversation with: the target of blocks. */
  stranger: Actor;
  /** A report by the other participant of the owner's first message. */
  reportId: string;
  serviceToken: string;
  conversationId: string;
  messageFromOwner: string;
  /** A message of the owner that each deleteMessage call may delete (the owner's makes it a tombstone). */
  messageToDelete: string;
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

/** Only the sender changes a message: the other participant is FORBIDDEN, an outsider NOT_FOUND. */
const sendersOwn: Record<Caller, Expected> = {
  participant: 'OK',
  otherParticipant: 'FORBIDDEN',
  outsider: 'NOT_FOUND',
  service: 'FORBIDDEN',
  noToken: 'UNAUTHENTICATED',
};

const op = <R, V>(doc: TypedDocumentNode<R, V>, variables: V) => [doc, variables] as [TypedDocumentNode<unknown, never>, unknown];

const cases: Case[] = [
  { name: 'me', call: () => op(MeDocument, {}), expected: anyUser },
  { name: 'searchMessages', call: () => op(SearchMessagesDocument, { query: 'first' }), expected: anyUser },
  { name: 'editMessage', call: (w) => op(EditMessageDocument, { input: { messageId: w.messageFromOwner, content: 'first!' } }), expected: sendersOwn },
  { name: 'deleteMessage', call: (w) => op(DeleteMessageDocument, { messageId: w.messageToDelete }), expected: sendersOwn },
  { name: 'addReaction', call: (w) => op(AddReactionDocument, { messageId: w.messageFromOwner, emoji: '👍' }), expected: onConversation },
  { name: 'removeReaction', call: (w) => op(RemoveReactionDocument, { messageId: w.messageFromOwner, emoji: '👍' }), expected: onConversation },
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
  { name: 'blockedUsers', call: () => op(BlockedUsersDocument, {}), expected: anyUser },
  { name: 'blockUser', call: (w) => op(BlockUserDocument, { userId: w.stranger.id }), expected: anyUser },
  { name: 'unblockUser', call: (w) => op(UnblockUserDocument, { userId: w.stranger.id }), expected: anyUser },
  {
    name: 'reportMessage',
    call: (w) => op(ReportMessageDocument, { input: { messageId: w.messageFromOwner, reason: 'SPAM' } }),
    // The owner's own message: BAD_USER_INPUT for the owner.
    expected: { ...onConversation, participant: 'BAD_USER_INPUT' },
  },
  {
    name: 'reportUser',
    // The outsider reports the other participant, with whom no case above starts a conversation.
    call: (w, caller) => op(ReportUserDocument, { input: { userId: caller?.id === w.other.id ? w.owner.id : w.other.id, reason: 'OTHER' } }),
    expected: onConversation,
  },
  { name: 'reports', call: () => op(ReportsDocument, {}), expected: serviceOnly },
  { name: 'resolveReport', call: (w) => op(ResolveReportDocument, { id: w.reportId, status: 'DISMISSED' }), expected: serviceOnly },
  { name: 'exportUserData', call: (w) => op(ExportUserDataDocument, { userId: w.owner.id }), expected: serviceOnly },
  { name: 'eraseUser', call: () => op(EraseUserDocument, { userId: randomUUID() }), expected: serviceOnly },
];

let server: TestServer;
let world: World;

beforeAll(async () => {
  server = await startTestServer();
  const [owner, other, outsider, stranger] = await Promise.all([actor(server, 'Owner'), actor(server, 'Other'), actor(server, 'Outsider'), actor(server, 'Stranger')]);
  for (const person of [owner, other, outsider, stranger]) await server.request(MeDocument, {}, person.token);
  const started = await server.request(StartConversationDocument, { input: { participantId: other.id } }, owner.token);
  const conversationId = started.data!.startConversation.id;
  const sent = await server.request(SendMessageDocument, { input: { conversationId, content: 'first' } }, owner.token);
  const messageFromOwner = sent.data!.sendMessage.id;
  const report = await server.request(ReportMessageDocument, { input: { messageId: messageFromOwner, reason: 'SCAM' } }, other.token);
  const reportId = report.data!.reportMessage.id;
  const toDelete = await server.request(SendMessageDocument, { input: { conversationId, content: 'to delete' } }, owner.token);
  world = {
    owner,
    other,
    outsider,
    stranger,
    reportId,
    serviceToken: await server.serviceToken(),
    conversationId,
    messageFromOwner,
    messageToDelete: toDelete.data!.sendMessage.id,
  };
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
