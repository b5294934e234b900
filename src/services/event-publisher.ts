import type { Logger } from '../observability/logger';
import type { PubSub } from '../realtime/pubsub';
import { topics, type ConversationEventPayload, type MessagePayload, type ReadReceiptPayload } from '../realtime/topics';
import type { ConversationEventKind } from '../schema/common/enums';
import type { Conversation } from '../schema/conversation/conversation.entity';
import { Message } from '../schema/message/message.entity';
import type { User } from '../schema/user/user.entity';

/**
 * Publishes domain events after their transaction has committed. A failed publish is logged,
 * never thrown: the change is already durable, and clients catch up through history and resume.
 */
export class EventPublisher {
  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  async messageSent(message: Message, participantIds: [string, string]): Promise<void> {
    const payload = toMessagePayload(message, participantIds);
    await this.all([
      this.pubsub.publish(topics.conversationMessages(payload.conversationId), payload),
      ...participantIds.map((userId) => this.pubsub.publish(topics.userMessages(userId), payload)),
    ]);
  }

  async messagesRead(receipt: ReadReceiptPayload, participantIds: [string, string]): Promise<void> {
    await this.all([
      this.pubsub.publish(topics.conversationReads(receipt.conversationId), receipt),
      ...participantIds.map((userId) => this.pubsub.publish(topics.userReads(userId), receipt)),
    ]);
  }

  /**
   * A conversation was created, changed, archived or unarchived: tells both participants. Jobs
   * (auto-archive: kind ARCHIVED) call this too, once per conversation, after their commit.
   */
  async conversationChanged(kind: ConversationEventKind, conversationId: string, participantIds: string[]): Promise<void> {
    const payload: ConversationEventPayload = { kind, conversationId };
    await this.all(participantIds.map((userId) => this.pubsub.publish(topics.userConversationEvents(userId), payload)));
  }

  private async all(publishes: Promise<void>[]): Promise<void> {
    const results = await Promise.allSettled(publishes);
    for (const result of results) {
      if (result.status === 'rejected') this.logger.error({ err: result.reason }, 'publish failed after commit');
    }
  }
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
  return message;
}
