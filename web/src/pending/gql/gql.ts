/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment PendingMessageChanges on Message {\n  id\n  revision\n  editedAt\n  deletedAt\n  content\n  replyTo {\n    id\n    content\n    deletedAt\n    sender {\n      id\n      displayName\n    }\n  }\n  reactions {\n    emoji\n    count\n    reactedByViewer\n  }\n}\n\nmutation PendingEditMessage($input: EditMessageInput!) {\n  editMessage(input: $input) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingDeleteMessage($messageId: ID!) {\n  deleteMessage(messageId: $messageId) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingAddReaction($messageId: ID!, $emoji: String!) {\n  addReaction(messageId: $messageId, emoji: $emoji) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingRemoveReaction($messageId: ID!, $emoji: String!) {\n  removeReaction(messageId: $messageId, emoji: $emoji) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingSendReply($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    id\n    sequence\n    replyTo {\n      id\n    }\n  }\n}\n\nsubscription PendingMessageUpdated($conversationId: ID!, $afterRevision: Int) {\n  messageUpdated(conversationId: $conversationId, afterRevision: $afterRevision) {\n    ...PendingMessageChanges\n  }\n}": typeof types.PendingMessageChangesFragmentDoc,
    "fragment PendingConversationSafety on Conversation {\n  id\n  isBlocked\n  blockedByViewer\n}\n\nquery PendingConversationSafety($id: ID!) {\n  conversation(id: $id) {\n    ...PendingConversationSafety\n  }\n}\n\nmutation PendingBlockUser($userId: ID!) {\n  blockUser(userId: $userId) {\n    id\n  }\n}\n\nmutation PendingUnblockUser($userId: ID!) {\n  unblockUser(userId: $userId) {\n    id\n  }\n}\n\nmutation PendingReportMessage($input: ReportMessageInput!) {\n  reportMessage(input: $input) {\n    id\n    status\n  }\n}\n\nmutation PendingReportUser($input: ReportUserInput!) {\n  reportUser(input: $input) {\n    id\n    status\n  }\n}": typeof types.PendingConversationSafetyFragmentDoc,
};
const documents: Documents = {
    "fragment PendingMessageChanges on Message {\n  id\n  revision\n  editedAt\n  deletedAt\n  content\n  replyTo {\n    id\n    content\n    deletedAt\n    sender {\n      id\n      displayName\n    }\n  }\n  reactions {\n    emoji\n    count\n    reactedByViewer\n  }\n}\n\nmutation PendingEditMessage($input: EditMessageInput!) {\n  editMessage(input: $input) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingDeleteMessage($messageId: ID!) {\n  deleteMessage(messageId: $messageId) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingAddReaction($messageId: ID!, $emoji: String!) {\n  addReaction(messageId: $messageId, emoji: $emoji) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingRemoveReaction($messageId: ID!, $emoji: String!) {\n  removeReaction(messageId: $messageId, emoji: $emoji) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingSendReply($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    id\n    sequence\n    replyTo {\n      id\n    }\n  }\n}\n\nsubscription PendingMessageUpdated($conversationId: ID!, $afterRevision: Int) {\n  messageUpdated(conversationId: $conversationId, afterRevision: $afterRevision) {\n    ...PendingMessageChanges\n  }\n}": types.PendingMessageChangesFragmentDoc,
    "fragment PendingConversationSafety on Conversation {\n  id\n  isBlocked\n  blockedByViewer\n}\n\nquery PendingConversationSafety($id: ID!) {\n  conversation(id: $id) {\n    ...PendingConversationSafety\n  }\n}\n\nmutation PendingBlockUser($userId: ID!) {\n  blockUser(userId: $userId) {\n    id\n  }\n}\n\nmutation PendingUnblockUser($userId: ID!) {\n  unblockUser(userId: $userId) {\n    id\n  }\n}\n\nmutation PendingReportMessage($input: ReportMessageInput!) {\n  reportMessage(input: $input) {\n    id\n    status\n  }\n}\n\nmutation PendingReportUser($input: ReportUserInput!) {\n  reportUser(input: $input) {\n    id\n    status\n  }\n}": types.PendingConversationSafetyFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment PendingMessageChanges on Message {\n  id\n  revision\n  editedAt\n  deletedAt\n  content\n  replyTo {\n    id\n    content\n    deletedAt\n    sender {\n      id\n      displayName\n    }\n  }\n  reactions {\n    emoji\n    count\n    reactedByViewer\n  }\n}\n\nmutation PendingEditMessage($input: EditMessageInput!) {\n  editMessage(input: $input) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingDeleteMessage($messageId: ID!) {\n  deleteMessage(messageId: $messageId) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingAddReaction($messageId: ID!, $emoji: String!) {\n  addReaction(messageId: $messageId, emoji: $emoji) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingRemoveReaction($messageId: ID!, $emoji: String!) {\n  removeReaction(messageId: $messageId, emoji: $emoji) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingSendReply($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    id\n    sequence\n    replyTo {\n      id\n    }\n  }\n}\n\nsubscription PendingMessageUpdated($conversationId: ID!, $afterRevision: Int) {\n  messageUpdated(conversationId: $conversationId, afterRevision: $afterRevision) {\n    ...PendingMessageChanges\n  }\n}"): (typeof documents)["fragment PendingMessageChanges on Message {\n  id\n  revision\n  editedAt\n  deletedAt\n  content\n  replyTo {\n    id\n    content\n    deletedAt\n    sender {\n      id\n      displayName\n    }\n  }\n  reactions {\n    emoji\n    count\n    reactedByViewer\n  }\n}\n\nmutation PendingEditMessage($input: EditMessageInput!) {\n  editMessage(input: $input) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingDeleteMessage($messageId: ID!) {\n  deleteMessage(messageId: $messageId) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingAddReaction($messageId: ID!, $emoji: String!) {\n  addReaction(messageId: $messageId, emoji: $emoji) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingRemoveReaction($messageId: ID!, $emoji: String!) {\n  removeReaction(messageId: $messageId, emoji: $emoji) {\n    ...PendingMessageChanges\n  }\n}\n\nmutation PendingSendReply($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    id\n    sequence\n    replyTo {\n      id\n    }\n  }\n}\n\nsubscription PendingMessageUpdated($conversationId: ID!, $afterRevision: Int) {\n  messageUpdated(conversationId: $conversationId, afterRevision: $afterRevision) {\n    ...PendingMessageChanges\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment PendingConversationSafety on Conversation {\n  id\n  isBlocked\n  blockedByViewer\n}\n\nquery PendingConversationSafety($id: ID!) {\n  conversation(id: $id) {\n    ...PendingConversationSafety\n  }\n}\n\nmutation PendingBlockUser($userId: ID!) {\n  blockUser(userId: $userId) {\n    id\n  }\n}\n\nmutation PendingUnblockUser($userId: ID!) {\n  unblockUser(userId: $userId) {\n    id\n  }\n}\n\nmutation PendingReportMessage($input: ReportMessageInput!) {\n  reportMessage(input: $input) {\n    id\n    status\n  }\n}\n\nmutation PendingReportUser($input: ReportUserInput!) {\n  reportUser(input: $input) {\n    id\n    status\n  }\n}"): (typeof documents)["fragment PendingConversationSafety on Conversation {\n  id\n  isBlocked\n  blockedByViewer\n}\n\nquery PendingConversationSafety($id: ID!) {\n  conversation(id: $id) {\n    ...PendingConversationSafety\n  }\n}\n\nmutation PendingBlockUser($userId: ID!) {\n  blockUser(userId: $userId) {\n    id\n  }\n}\n\nmutation PendingUnblockUser($userId: ID!) {\n  unblockUser(userId: $userId) {\n    id\n  }\n}\n\nmutation PendingReportMessage($input: ReportMessageInput!) {\n  reportMessage(input: $input) {\n    id\n    status\n  }\n}\n\nmutation PendingReportUser($input: ReportUserInput!) {\n  reportUser(input: $input) {\n    id\n    status\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;