import type { EntityManager } from '@mikro-orm/postgresql';
import { EmSql } from '../db/sql';
import type { Logger } from '../observability/logger';
import type { PubSub } from '../realtime/pubsub';
import { topics, type ConversationEventPayload, type MessagePayload, type ReadReceiptPayload } from '../realtime/topics';
import type { ConversationEventKind } from '../schema/common/enums';
import type { Conversation } from '../schema/conversation/conversation.entity';
import { Message } from '../schema/message/message.entity';
import type { User } from '../schema/user/user.entity';
import type { Outbox } from './outbox';

/** What {@link EventPublisher} is built from. */
export interface EventPublisherOptions {
  pubsub: PubSub;
  logger: Logger;
  outbox: Outbox;
}

/**
 * Publishes domain events after their transaction has committed. A failed publish is logged,
 * never thrown: the change is already durable, and its outbox row stays for the relay to
 * publish again. Each method answers whether every publish went through. The publishes of one
 * event are issued together, so ioredis' auto-pipelining sends them in one round trip.
 */
export class EventPublisher {
  constructor(private readonly options: EventPublisherOptions) {}

  /**
   * Records a conversation event in the outbox, inside the transaction of its change (`tx`).
   * Publish it with `conversationRecorded` after the commit.
   */
  async recordConversationEvent(tx: EntityManager, kind: ConversationEventKind, conversationId: string, participantIds: string[]): Promise<RecordedEvent> {
    const event = { kind, conversationId };
    const outboxId = await this.options.outbox.record(new EmSql(tx), { kind: 'conversation', event, participantIds });
    return { outboxId, publish: () => this.conversationRecorded(outboxId, kind, conversationId, participantIds) };
  }

  /** A conversation event whose outbox row `outboxId` has committed: publishes it, then acknowledges the row. */
  async conversationRecorded(outboxId: string, kind: ConversationEventKind, conversationId: string, participantIds: string[]): Promise<void> {
    await this.published(outboxId, this.conversationChanged(kind, conversationId, participantIds));
  }

  /** A read receipt whose outbox row `outboxId` was written with the read: publishes it, then acknowledges the row. */
  async receiptRecorded(outboxId: string, receipt: ReadReceiptPayload, participantIds: [string, string]): Promise<void> {
    await this.published(outboxId, this.messagesRead(receipt, participantIds));
  }

  private async published(outboxId: string, publishing: Promise<boolean>): Promise<void> {
    if (await publishing) this.options.outbox.done([outboxId]);
  }

  async messageSent(message: Message, participantIds: [string, string]): Promise<boolean> {
    const payload = toMessagePayload(message, participantIds);
    return this.all([
      this.options.pubsub.publish(topics.conversationMessages(payload.conversationId), payload),
      ...participantIds.map((userId) => this.options.pubsub.publish(topics.userMessages(userId), payload)),
    ]);
  }

  /** A message's new state after a change (edit, deletion, reaction): messageUpdated, never push. */
  async messageUpdated(message: Message, participantIds: [string, string]): Promise<boolean> {
    const payload = toMessagePayload(message, participantIds);
    return this.all([
      this.options.pubsub.publish(topics.conversationMessageUpdates(payload.conversationId), payload),
      ...participantIds.map((userId) => this.options.pubsub.publish(topics.userMessageUpdates(userId), payload)),
    ]);
  }

  async messagesRead(receipt: ReadReceiptPayload, participantIds: [string, string]): Promise<boolean> {
    return this.all([
      this.options.pubsub.publish(topics.conversationReads(receipt.conversationId), receipt),
      ...participantIds.map((userId) => this.options.pubsub.publish(topics.userReads(userId), receipt)),
    ]);
  }

  /**
   * A conversation was created, changed, archived or unarchived: tells both participants. Jobs
   * (auto-archive: kind ARCHIVED) call this too, once per conversation, after their commit.
   */
  async conversationChanged(kind: ConversationEventKind, conversationId: string, participantIds: string[]): Promise<boolean> {
    const payload: ConversationEventPayload = { kind, conversationId };
    return this.all(participantIds.map((userId) => this.options.pubsub.publish(topics.userConversationEvents(userId), payload)));
  }

  private async all(publishes: Promise<void>[]): Promise<boolean> {
    const results = await Promise.allSettled(publishes);
    let ok = true;
    for (const result of results) {
      if (result.status === 'rejected') {
        ok = false;
        this.options.logger.error({ err: result.reason }, 'publish failed after commit');
      }
    }
    return ok;
  }
}

/** An event written to the outbox; `publish()` after the commit. */
export interface RecordedEvent {
  outboxId: string;
  publish(): Promise<void>;
}

/** The small JSON a message travels as through pub/sub (both participants ride along for fan-out). */
export function toMessagePayload(message: Message, participantIds: [string, string]): MessagePayload {
  return {
    id: message.id,
    conversationId: message.conversation.id,
    sequence: message.sequence,
    type: message.type,
    senderId: message.sender?.id ?? null,
    content: message.content,
    metadata: message.metadata,
    clientMessageId: message.clientMessageId,
    createdAt: message.createdAt.toISOString(),
    deliveredAt: message.deliveredAt?.toISOString() ?? null,
    readAt: message.readAt?.toISOString() ?? null,
    flags: message.flags,
    sender: message.senderProfile ? { ...message.senderProfile, lastSeenAt: message.senderProfile.lastSeenAt?.toISOString() ?? null } : null,
    image: message.imageRow ? { ...message.imageRow, deleteAfter: message.imageRow.deleteAfter.toISOString() } : null,
    replyToId: message.replyToId ?? null,
    editedAt: message.editedAt?.toISOString() ?? null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    revision: message.revision ?? 0,
    ...(message.reactionRows ? { reactions: message.reactionRows } : {}),
    participantIds,
    committedAt: Date.now(),
  };
}

/**
 * The Message a subscriber resolves from a payload, without a database round trip: sender and
 * conversation are references by id, loaded only if the subscriber's selection asks for them.
 */
export function fromMessagePayload(payload: MessagePayload): Message {
  const message = new Message();
  message.id = payload.id;
  message.conversation = { id: payload.conversationId } as Conversation;
  message.sequence = payload.sequence;
  message.type = payload.type;
  message.sender = payload.senderId ? ({ id: payload.senderId } as User) : null;
  message.content = payload.content;
  message.metadata = payload.metadata;
  message.clientMessageId = payload.clientMessageId;
  message.createdAt = new Date(payload.createdAt);
  message.deliveredAt = payload.deliveredAt ? new Date(payload.deliveredAt) : null;
  message.readAt = payload.readAt ? new Date(payload.readAt) : null;
  message.flags = (payload.flags ?? []) as Message['flags'];
  message.replyToId = payload.replyToId ?? null;
  message.editedAt = payload.editedAt ? new Date(payload.editedAt) : null;
  message.deletedAt = payload.deletedAt ? new Date(payload.deletedAt) : null;
  message.revision = payload.revision ?? 0;
  if (payload.reactions) message.reactionRows = payload.reactions;
  // Older payloads (an instance of the previous version during a rolling deploy) lack these:
  // undefined makes the resolvers load them.
  if (payload.sender) message.senderProfile = { ...payload.sender, lastSeenAt: payload.sender.lastSeenAt ? new Date(payload.sender.lastSeenAt) : null };
  if (payload.image !== undefined) message.imageRow = payload.image ? { ...payload.image, deleteAfter: new Date(payload.image.deleteAfter) } : null;
  return message;
}
