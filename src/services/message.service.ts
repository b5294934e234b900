import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../auth/viewer';
import { LIMITS } from '../config';
import { badInput, notFound } from '../errors';
import { ConversationEventKind, ConversationStatus, MessageType } from '../schema/common/enums';
import type { Conversation } from '../schema/conversation/conversation.entity';
import type { Message } from '../schema/message/message.entity';
import type { ConversationService } from './conversation.service';
import type { EventPublisher } from './event-publisher';
import { checkPageSize, decodeSequenceCursor, encodeCursor, type PageArgs, type PageInfoData } from './pagination';
import type { MessageRateLimiter } from './rate-limiter';
import { MESSAGE_COLUMNS, otherParticipantId, participantIds, toMessage, type Row } from './rows';
import { sanitizeContent } from './sanitize';
import type { Metrics } from '../observability/metrics';

export interface SendMessageInput {
  conversationId: string;
  content: string;
  clientMessageId?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface MarkReadInput {
  conversationId: string;
  messageIds?: string[] | null;
  upToMessageId?: string | null;
}

export interface MessagePage {
  edges: { cursor: string; node: Message }[];
  pageInfo: PageInfoData;
}

const CLIENT_MESSAGE_ID_MAX = 128;
const METADATA_MAX_BYTES = 4096;
const MARK_READ_MAX_IDS = 100;

/** A message written by `append`, not yet announced. */
export interface Appended {
  stored: Message;
  previousStatus: ConversationStatus;
  conversation: Conversation;
}

/** What a new message is made of, once checked. */
export interface NewMessage {
  conversation: Conversation;
  type: MessageType;
  senderId: string | null;
  content: string | null;
  metadata: Record<string, unknown>;
  clientMessageId: string | null;
}


/** Messages: sending (idempotent, rate limited, gapless), history pages and read receipts. */
export class MessageService {
  constructor(
    private readonly conversations: ConversationService,
    private readonly events: EventPublisher,
    private readonly rateLimiter: MessageRateLimiter,
    private readonly metrics: Metrics,
    private readonly maxLength: number,
  ) {}

  /** Told about every stored message after it was published (push notifications); must not throw. */
  private readonly storedListeners: ((message: Message, participantIds: [string, string]) => void)[] = [];

  /** Registers a listener of stored messages (see `storedListeners`). */
  onStored(listener: (message: Message, participantIds: [string, string]) => void): void {
    this.storedListeners.push(listener);
  }

  /**
   * sendMessage, with the checks in the contract's order: membership, idempotent replay,
   * rate limit, content. The point taken by the rate limit is given back when nothing is stored.
   */
  async send(em: EntityManager, senderId: string, input: SendMessageInput): Promise<Message> {
    const conversation = await this.conversations.getForViewer(em, senderId, input.conversationId);
    const clientMessageId = checkClientMessageId(input.clientMessageId);
    if (clientMessageId) {
      const replay = await this.findByClientMessageId(em, conversation.id, senderId, clientMessageId);
      if (replay) return replay;
    }
    const idempotencyKey = clientMessageId ? `${conversation.id}:${clientMessageId}` : undefined;
    const counted = await this.rateLimiter.consume(senderId, idempotencyKey);
    const giveBack = () => (counted ? this.rateLimiter.refund(senderId, idempotencyKey) : Promise.resolve());
    let stored: Message | null;
    try {
      const content = this.checkContent(input.content, 'content');
      const metadata = checkMetadata(input.metadata);
      stored = await this.store(em, { conversation, type: MessageType.TEXT, senderId, content, metadata, clientMessageId });
    } catch (error) {
      await giveBack();
      throw error;
    }
    if (!stored) {
      // A concurrent attempt with the same key stored it first: answer its message. The point
      // stays taken: whichever attempt stored it, the key has counted exactly once.
      return (await this.findByClientMessageId(em, conversation.id, senderId, clientMessageId!))!;
    }
    return stored;
  }

  /** postSystemMessage (service role): no sender, no rate limit. */
  async postSystem(em: EntityManager, input: { conversationId: string; content: string; metadata?: Record<string, unknown> | null }) {
    const conversation = await this.conversations.getById(em, input.conversationId);
    const content = this.checkContent(input.content, 'content');
    const metadata = checkMetadata(input.metadata);
    const stored = await this.store(em, { conversation, type: MessageType.SYSTEM, senderId: null, content, metadata, clientMessageId: null });
    return stored!;
  }

  /** Sanitises and trims content, then checks its length in characters (code points). */
  checkContent(raw: string, field: string): string {
    const content = sanitizeContent(raw).trim();
    const length = [...content].length;
    if (length < 1 || length > this.maxLength) {
      throw badInput(`${field} must be 1 to ${this.maxLength} characters after removing HTML and trimming`, field);
    }
    return content;
  }

  /**
   * Stores a message in one short transaction, then publishes it: the conversation row lock
   * hands out the next sequence (gapless under concurrency) and reactivates an archived
   * conversation. Returns null when the idempotency key was taken meanwhile.
   */
  async store(em: EntityManager, message: NewMessage, inTransaction?: (tx: EntityManager, stored: Message) => Promise<void>): Promise<Message | null> {
    let appended: Appended;
    try {
      // Without follow-up writes the statement is its own transaction: one round trip.
      appended = inTransaction
        ? await em.transactional(async (tx) => {
            const inner = await this.append(tx, message);
            await inTransaction(tx, inner.stored);
            return inner;
          })
        : await this.append(em, message);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
    await this.announce(appended);
    return appended.stored;
  }

  /**
   * Writes a message without telling anyone: for callers whose own transaction must commit
   * first. They call `announce` after their commit. Raises unique_violation on a used key.
   */
  async append(em: EntityManager, message: NewMessage): Promise<Appended> {
    // One statement (see the append_message migration): lock, next sequence, insert.
    const [row]: Row[] = await em.execute('select * from append_message(?, ?, ?, ?, ?, ?::jsonb, ?)', [
      randomUUID(),
      message.conversation.id,
      message.type,
      message.senderId,
      message.content,
      JSON.stringify(message.metadata),
      message.clientMessageId,
    ]);
    const { previous_status: previousStatus, ...columns } = row;
    return { stored: toMessage(columns), previousStatus: previousStatus as ConversationStatus, conversation: message.conversation };
  }

  /** Publishes a committed message (and the reactivation of its conversation), then tells listeners. */
  async announce({ stored, previousStatus, conversation }: Appended): Promise<void> {
    this.metrics.messagesSent.inc({ type: stored.type });
    const participants = participantIds(conversation);
    await this.events.messageSent(stored, participants);
    if (previousStatus !== ConversationStatus.ACTIVE) {
      await this.events.conversationChanged(ConversationEventKind.UNARCHIVED, conversation.id, participants);
    }
    for (const listener of this.storedListeners) listener(stored, participants);
  }

  /**
   * serviceStartConversation: the conversation of the pair and job application, created with
   * its first SYSTEM message in one transaction when it is new. Both are published after commit.
   */
  async startWithSystemMessage(
    em: EntityManager,
    userIds: [string, string],
    jobApplicationId: string | null | undefined,
    systemMessage: string | null | undefined,
    actorId: string,
  ): Promise<Conversation> {
    const content = systemMessage != null ? this.checkContent(systemMessage, 'systemMessage') : null;
    let appended: Appended | undefined;
    const result = await this.conversations.findOrCreate(em, userIds, jobApplicationId, actorId, async (tx, conversation) => {
      if (content) appended = await this.append(tx, { conversation, type: MessageType.SYSTEM, senderId: null, content, metadata: {}, clientMessageId: null });
    });
    if (!appended) return result.conversation;
    await this.announce(appended);
    return this.conversations.getById(em, result.conversation.id);
  }

  async findByClientMessageId(em: EntityManager, conversationId: string, senderId: string, clientMessageId: string): Promise<Message | null> {
    const rows: Row[] = await em.execute(
      `select ${MESSAGE_COLUMNS} from messages where conversation_id = ? and sender_id = ? and client_message_id = ?`,
      [conversationId, senderId, clientMessageId],
    );
    return rows.length > 0 ? toMessage(rows[0]) : null;
  }

  /**
   * A page of a conversation's history, oldest first. Sequences are gapless from 1, so the
   * page info is exact without extra queries. No arguments: the latest 50.
   */
  async page(em: EntityManager, conversation: Conversation, args: PageArgs): Promise<MessagePage> {
    const first = checkPageSize(args.first, 'first');
    let last = checkPageSize(args.last, 'last');
    if (first !== undefined && last !== undefined) throw badInput('Give first or last, not both', 'last');
    if (first === undefined && last === undefined) last = LIMITS.defaultMessagePageSize;
    const after = args.after ? decodeSequenceCursor(args.after) : 0;
    const before = args.before ? decodeSequenceCursor(args.before) : conversation.lastSequence + 1;
    const forward = first !== undefined;
    const limit = forward ? first! : last!;
    const rows: Row[] =
      limit === 0
        ? []
        : await em.execute(
            `select ${MESSAGE_COLUMNS} from messages
             where conversation_id = ? and sequence > ? and sequence < ?
             order by sequence ${forward ? 'asc' : 'desc'} limit ?`,
            [conversation.id, after, before, limit + 1],
          );
    // With a limit of 0 nothing is read: the window (after, before) ∩ [1, lastSequence] is known.
    const more = limit === 0 ? Math.min(before - 1, conversation.lastSequence) > after : rows.length > limit;
    const nodes = rows.slice(0, limit).map((row) => toMessage(row));
    if (!forward) nodes.reverse();
    const edges = nodes.map((node) => ({ cursor: encodeCursor([node.sequence]), node }));
    return {
      edges,
      pageInfo: {
        // Sequences run 1..lastSequence without gaps: what lies outside the window is known.
        hasPreviousPage: forward ? after > 0 && conversation.lastSequence > 0 : more,
        hasNextPage: forward ? more : before <= conversation.lastSequence,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  /**
   * markRead: marks unread messages of the other participant (never the viewer's own) and
   * answers the ids it newly marked. Row locks make concurrent calls mark each message once;
   * one receipt is published per call that marked something.
   */
  async markRead(em: EntityManager, viewerId: string, input: MarkReadInput): Promise<{ conversation: Conversation; messageIds: string[] }> {
    const conversation = await this.conversations.getForViewer(em, viewerId, input.conversationId);
    const senderId = otherParticipantId(conversation, viewerId);
    let filter = '';
    const params: unknown[] = [conversation.id, senderId];
    if (input.messageIds) {
      // An explicit list marks exactly those messages: an empty one marks nothing.
      if (input.messageIds.length === 0) return { conversation, messageIds: [] };
      if (input.messageIds.length > MARK_READ_MAX_IDS) throw badInput(`At most ${MARK_READ_MAX_IDS} messageIds`, 'messageIds');
      if (!input.messageIds.every(isUuid)) throw badInput('messageIds must be message ids', 'messageIds');
      filter = 'and id = any(?::uuid[])';
      params.push(`{${input.messageIds.map((id) => id.toLowerCase()).join(',')}}`);
    } else if (input.upToMessageId) {
      const upTo = await this.sequenceOf(em, conversation.id, input.upToMessageId);
      filter = 'and sequence <= ?';
      params.push(upTo);
    }
    const rows: Row[] = await em.execute(
      `update messages set read_at = now()
       where conversation_id = ? and sender_id = ? and read_at is null ${filter}
       returning id, read_at`,
      params,
    );
    const messageIds = rows.map((row) => String(row.id));
    if (messageIds.length > 0) {
      this.metrics.readReceipts.inc();
      const readAt = new Date(rows[0].read_at as string | Date).toISOString();
      await this.events.messagesRead({ conversationId: conversation.id, readerId: viewerId, messageIds, readAt }, participantIds(conversation));
    }
    return { conversation, messageIds };
  }

  private async sequenceOf(em: EntityManager, conversationId: string, messageId: string): Promise<number> {
    if (!isUuid(messageId)) throw notFound('Message');
    const rows: Row[] = await em.execute('select sequence from messages where id = ? and conversation_id = ?', [messageId.toLowerCase(), conversationId]);
    if (rows.length === 0) throw notFound('Message');
    return Number(rows[0].sequence);
  }
}

/** Checks an idempotency key: null when absent, BAD_USER_INPUT when empty or too long. */
export function checkClientMessageId(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value.length < 1 || value.length > CLIENT_MESSAGE_ID_MAX) {
    throw badInput(`clientMessageId must be 1 to ${CLIENT_MESSAGE_ID_MAX} characters`, 'clientMessageId');
  }
  return value;
}

function checkMetadata(value: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (Buffer.byteLength(JSON.stringify(value)) > METADATA_MAX_BYTES) {
    throw badInput(`metadata must be at most ${METADATA_MAX_BYTES} bytes of JSON`, 'metadata');
  }
  return value;
}

/** append_message raises unique_violation when the idempotency key was used meanwhile. */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}
