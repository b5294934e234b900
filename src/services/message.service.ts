import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../auth/viewer';
import { LIMITS } from '../config';
import type { ReadRouting } from '../db/read-routing';
import { EmSql, type Sql, type Statement } from '../db/sql';
import { badInput, notFound } from '../errors';
import type { Metrics } from '../observability/metrics';
import { MessageType } from '../schema/common/enums';
import type { ConversationView } from '../schema/conversation/conversation.view';
import type { Message } from '../schema/message/message.entity';
import type { ConversationService } from './conversation.service';
import type { EventPublisher } from './event-publisher';
import type { MessageAnnouncer } from './message-announcer';
import type { MessageStore } from './message-store';
import { checkPageSize, decodeSequenceCursor, encodeCursor, type PageArgs, type PageInfoData } from './pagination';
import { MESSAGE_COLUMNS, otherParticipantId, participantIds, toMessage, type MessageRow, type Row } from './rows';
import { applyContactInfoPolicy, type ContactInfoPolicy } from './detection';
import { sanitizeContent } from './sanitize';
import type { SendPipeline } from './send-pipeline';

export interface SendMessageInput {
  conversationId: string;
  content: string;
  clientMessageId?: string | null;
  metadata?: Record<string, unknown> | null;
  replyToId?: string | null;
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

export interface MessageServiceOptions {
  conversations: ConversationService;
  events: EventPublisher;
  pipeline: SendPipeline;
  store: MessageStore;
  announcer: MessageAnnouncer;
  /** The hot-path pool (bind parameters). */
  sql: Sql;
  /** History pages may run on the read replica (db/read-routing.ts); unset: the primary. */
  reads?: ReadRouting;
  metrics: Metrics;
  outboxLeaseMs: number;
  /** Content cap in characters (MESSAGE_MAX_LENGTH). */
  maxLength: number;
  /** CONTACT_INFO_POLICY: flag, mask or block (services/detection). */
  contactInfoPolicy: ContactInfoPolicy;
}

// Marks the other participant's unread messages and, when it marked any, writes the receipt's
// outbox row in the same statement.
const MARK_READ: Statement = {
  name: 'mark_read',
  text: `with marked as (
           update messages set read_at = now()
           where conversation_id = $1 and sender_id = $2 and read_at is null and deleted_at is null
             and ($3::uuid[] is null or id = any($3::uuid[])) and ($4::int is null or sequence <= $4)
           returning id, read_at
         ), receipt as (
           insert into outbox (kind, payload, lease_until)
           select 'read', jsonb_build_object('kind', 'read', 'participantIds', $5::jsonb, 'receipt', jsonb_build_object(
                    'conversationId', $1::uuid, 'readerId', $6::uuid,
                    'messageIds', (select jsonb_agg(id) from marked), 'readAt', (select min(read_at) from marked))),
                  clock_timestamp() + make_interval(secs => $7 / 1000.0)
           where exists (select 1 from marked)
           returning id
         )
         select (select id from receipt) as outbox_id, (select min(read_at) from marked) as read_at,
                coalesce((select array_agg(id::text) from marked), '{}') as message_ids`,
};

/** A history page in either direction: (after, before) exclusive, `limit` rows and one more to tell whether there are more. */
const historyPage = (direction: 'asc' | 'desc'): Statement => ({
  name: `history_page_${direction}`,
  text: `select ${MESSAGE_COLUMNS} from messages
         where conversation_id = $1 and sequence > $2 and sequence < $3
         order by sequence ${direction} limit $4`,
});
const HISTORY_FORWARD = historyPage('asc');
const HISTORY_BACKWARD = historyPage('desc');

/** Messages: sending (through the send pipeline), system messages, history pages and read receipts. */
export class MessageService {
  constructor(private readonly options: MessageServiceOptions) {}

  /** sendMessage: the send pipeline with a text body. */
  async send(senderId: string, input: SendMessageInput): Promise<Message> {
    const { message } = await this.options.pipeline.send({
      conversationId: input.conversationId,
      senderId,
      clientMessageId: checkClientMessageId(input.clientMessageId),
      expensive: false,
      prepare: async () => {
        const checked = applyContactInfoPolicy(this.checkContent(input.content, 'content'), this.options.contactInfoPolicy, 'content');
        return { type: MessageType.TEXT, content: checked.text, flags: checked.flags, metadata: checkMetadata(input.metadata), replyToId: checkReplyToId(input.replyToId) };
      },
    });
    return message;
  }

  /** postSystemMessage (service role): no sender, no rate limit. */
  async postSystem(input: { conversationId: string; content: string; metadata?: Record<string, unknown> | null }) {
    if (!isUuid(input.conversationId)) throw notFound();
    const content = this.checkContent(input.content, 'content');
    const metadata = checkMetadata(input.metadata);
    const result = await this.options.store.append(this.options.sql, {
      conversationId: input.conversationId.toLowerCase(),
      senderId: null,
      type: MessageType.SYSTEM,
      content,
      metadata,
      clientMessageId: null,
    });
    if (result.outcome !== 'CREATED') throw notFound();
    await this.options.announcer.announce(result);
    return result.message;
  }

  /** Sanitises and trims content, then checks its length in characters (code points). */
  checkContent(raw: string, field: string): string {
    const content = sanitizeContent(raw).trim();
    const length = [...content].length;
    if (length < 1 || length > this.options.maxLength) {
      throw badInput(`${field} must be 1 to ${this.options.maxLength} characters after removing HTML and trimming`, field);
    }
    return content;
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
  ): Promise<ConversationView> {
    const content = systemMessage != null ? this.checkContent(systemMessage, 'systemMessage') : null;
    const { conversations, store, announcer } = this.options;
    const { result, appended } = await em.transactional(async (tx) => {
      const started = await conversations.findOrCreateIn(tx as EntityManager, userIds, jobApplicationId, actorId);
      const first =
        started.created && content
          ? await store.append(new EmSql(tx as EntityManager), {
              conversationId: started.conversation.id,
              senderId: null,
              type: MessageType.SYSTEM,
              content,
              metadata: {},
              clientMessageId: null,
            })
          : null;
      return { result: started, appended: first };
    });
    await result.created?.publish();
    if (appended?.outcome !== 'CREATED') return result.conversation;
    await announcer.announce(appended);
    return conversations.getById(em, result.conversation.id);
  }

  /**
   * A page of a conversation's history, oldest first. Sequences are gapless from 1, so the
   * page info is exact without extra queries. No arguments: the latest 50.
   *
   * A viewer's page may run on the read replica (db/read-routing.ts). Because sequences are
   * gapless and messages are never removed (a deletion leaves its tombstone), `conversation`
   * says exactly how many rows the window holds: a replica that returns fewer has not replayed
   * them yet, and the page is read again on the primary. A client that fills a gap it saw in a
   * realtime event's sequence therefore never gets a page that misses it.
   */
  async page(em: EntityManager, conversation: ConversationView, args: PageArgs, viewerId: string | null = null): Promise<MessagePage> {
    const first = checkPageSize(args.first, 'first');
    let last = checkPageSize(args.last, 'last');
    if (first !== undefined && last !== undefined) throw badInput('Give first or last, not both', 'last');
    if (first === undefined && last === undefined) last = LIMITS.defaultMessagePageSize;
    const after = args.after ? decodeSequenceCursor(args.after) : 0;
    const before = args.before ? decodeSequenceCursor(args.before) : conversation.lastSequence + 1;
    const forward = first !== undefined;
    const limit = forward ? first! : last!;
    const primary = new EmSql(em);
    const values = [conversation.id, after, before, limit + 1];
    const statement = forward ? HISTORY_FORWARD : HISTORY_BACKWARD;
    const inWindow = Math.max(0, Math.min(before - 1, conversation.lastSequence) - after);
    const complete = (found: MessageRow[]) => found.length >= Math.min(limit + 1, inWindow);
    const reads = this.options.reads;
    const rows: MessageRow[] =
      limit === 0
        ? []
        : viewerId === null || !reads
          ? await primary.query<MessageRow>(statement, values)
          : await reads.query<MessageRow>('history', viewerId, primary, statement, values, complete);
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
  async markRead(em: EntityManager, viewerId: string, input: MarkReadInput): Promise<{ conversation: ConversationView; messageIds: string[] }> {
    const conversation = await this.options.conversations.getForViewer(em, viewerId, input.conversationId);
    const senderId = otherParticipantId(conversation, viewerId);
    let ids: string[] | null = null;
    let upTo: number | null = null;
    if (input.messageIds) {
      // An explicit list marks exactly those messages: an empty one marks nothing.
      if (input.messageIds.length === 0) return { conversation, messageIds: [] };
      if (input.messageIds.length > MARK_READ_MAX_IDS) throw badInput(`At most ${MARK_READ_MAX_IDS} messageIds`, 'messageIds');
      if (!input.messageIds.every(isUuid)) throw badInput('messageIds must be message ids', 'messageIds');
      ids = input.messageIds.map((id) => id.toLowerCase());
    } else if (input.upToMessageId) {
      upTo = await this.sequenceOf(em, conversation.id, input.upToMessageId);
    }
    const participants = participantIds(conversation);
    const [row] = await this.options.sql.query<Row>(MARK_READ, [
      conversation.id,
      senderId,
      ids,
      upTo,
      JSON.stringify(participants),
      viewerId,
      this.options.outboxLeaseMs,
    ]);
    const messageIds = row.message_ids as string[];
    if (messageIds.length > 0) {
      this.options.metrics.readReceipts.inc();
      const readAt = new Date(row.read_at as string | Date).toISOString();
      await this.options.events.receiptRecorded(String(row.outbox_id), { conversationId: conversation.id, readerId: viewerId, messageIds, readAt }, participants);
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

/** A reply's target: null when absent; not an id at all is BAD_USER_INPUT (send_message() checks the rest). */
export function checkReplyToId(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!isUuid(value)) throw badInput('replyToId must name a message of this conversation', 'replyToId');
  return value.toLowerCase();
}

function checkMetadata(value: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (Buffer.byteLength(JSON.stringify(value)) > METADATA_MAX_BYTES) {
    throw badInput(`metadata must be at most ${METADATA_MAX_BYTES} bytes of JSON`, 'metadata');
  }
  return value;
}


