import type { ConversationEventKind, ImageStatus, MessageType, PresenceStatus } from '../schema/common/enums';

/**
 * Every pub/sub topic and the payload it carries. Topics are per conversation or per user,
 * never one global topic filtered per subscriber. Payloads are small JSON (dates as ISO
 * strings) so that a subscriber's resolver needs no database round trip per event.
 */
export interface MessagePayload {
  id: string;
  conversationId: string;
  sequence: number;
  type: MessageType;
  senderId: string | null;
  content: string | null;
  metadata: Record<string, unknown>;
  clientMessageId: string | null;
  createdAt: string;
  deliveredAt: string | null;
  readAt: string | null;
  /** Message.flags; absent in payloads of instances that predate detection. */
  flags?: string[];
  /** What `sender { ... }` selects, so that a delivery resolves it without a query. */
  sender: SenderPayload | null;
  /** The image row of an IMAGE message (URLs are signed per delivery from its keys). */
  image: ImagePayload | null;
  /** The message this one answers: a delivery carries the id, so `replyTo { id }` needs no lookup of the reply. */
  replyToId?: string | null;
  editedAt?: string | null;
  deletedAt?: string | null;
  /** The conversation's change counter at this message's last change (0: never changed). */
  revision?: number;
  /** Grouped reactions with who reacted; absent in payloads of older versions (then loaded). */
  reactions?: { emoji: string; userIds: string[] }[];
  /** Both participants, so that fan-out to the per-user topics needs no lookup. */
  participantIds: [string, string];
  /** Epoch ms of the commit, for the delivery-latency histogram. */
  committedAt: number;
}

export interface SenderPayload {
  id: string;
  displayName: string | null;
  avatarUrl: string | null;
  lastSeenAt: string | null;
}

export interface ImagePayload {
  id: string;
  status: ImageStatus;
  mimeType: string;
  sizeBytes: number;
  width: number;
  height: number;
  originalKey: string | null;
  previewKey: string | null;
  thumbnailKey: string | null;
  deleteAfter: string;
}

export interface ReadReceiptPayload {
  conversationId: string;
  readerId: string;
  messageIds: string[];
  readAt: string;
}

export interface TypingPayload {
  conversationId: string;
  userId: string;
  isTyping: boolean;
}

export interface PresencePayload {
  userId: string;
  status: PresenceStatus;
  lastSeenAt: string | null;
}

export interface ConversationEventPayload {
  kind: ConversationEventKind;
  conversationId: string;
}

export interface TopicPayloads {
  conversationMessages: MessagePayload;
  userMessages: MessagePayload;
  /** A message's new state after an edit, a deletion or a reaction change (messageUpdated). */
  conversationMessageUpdates: MessagePayload;
  userMessageUpdates: MessagePayload;
  conversationReads: ReadReceiptPayload;
  userReads: ReadReceiptPayload;
  conversationTyping: TypingPayload;
  userPresence: PresencePayload;
  userConversationEvents: ConversationEventPayload;
}

export type TopicKind = keyof TopicPayloads;

declare const topicKind: unique symbol;

/**
 * A topic name carrying its payload type. The brand is required, so a plain string is not a
 * topic and a topic of one kind is not a topic of another: publishing a message to a presence
 * topic does not compile (test/realtime/topics.types.test.ts). It is covariant, so a topic
 * that is one of two kinds of the same payload (per conversation or per user) still works.
 */
export type Topic<K extends TopicKind> = string & { readonly [topicKind]: K };

/** The one place a string becomes a topic: the names below. */
const topic = <K extends TopicKind>(name: string) => name as Topic<K>;

export const topics = {
  conversationMessages: (conversationId: string) => topic<'conversationMessages'>(`conversation:${conversationId}:message`),
  userMessages: (userId: string) => topic<'userMessages'>(`user:${userId}:message`),
  conversationMessageUpdates: (conversationId: string) => topic<'conversationMessageUpdates'>(`conversation:${conversationId}:message-updated`),
  userMessageUpdates: (userId: string) => topic<'userMessageUpdates'>(`user:${userId}:message-updated`),
  conversationReads: (conversationId: string) => topic<'conversationReads'>(`conversation:${conversationId}:read`),
  userReads: (userId: string) => topic<'userReads'>(`user:${userId}:read`),
  conversationTyping: (conversationId: string) => topic<'conversationTyping'>(`conversation:${conversationId}:typing`),
  userPresence: (userId: string) => topic<'userPresence'>(`user:${userId}:presence`),
  userConversationEvents: (userId: string) => topic<'userConversationEvents'>(`user:${userId}:conversation`),
};
