import { randomUUID } from 'node:crypto';
import type { Sql, Statement } from '../db/sql';
import { ImageStatus, type ConversationStatus, type MessageType } from '../schema/common/enums';
import type { Message } from '../schema/message/message.entity';
import type { MessageFlag } from '../schema/common/safety-enums';
import { toMessage, toSenderProfile, type MessageRow, type SenderColumns } from './rows';

/** A message row with its sender's profile columns (PRECHECK's replay). */
type MessageWithSenderRow = MessageRow & SenderColumns;

/** The row of SEND_MESSAGE: the message (new or replayed) and what the send changed. */
type SendRow = MessageWithSenderRow & {
  outcome: AppendResult['outcome'];
  participant_a_id: string;
  participant_b_id: string;
  previous_status: ConversationStatus;
  outbox_ids: (string | number)[];
};

/** The image row written with an image message (objects already stored). */
export interface NewImageRow {
  mimeType: string;
  sizeBytes: number;
  width: number;
  height: number;
  originalKey: string;
  previewKey: string;
  thumbnailKey: string;
  deleteAfter: Date;
}

/** Everything send_message() needs to append one message. */
export interface NewMessage {
  conversationId: string;
  /** Null for SYSTEM messages: no membership check. */
  senderId: string | null;
  type: MessageType;
  content: string | null;
  metadata: Record<string, unknown>;
  clientMessageId: string | null;
  image?: NewImageRow | null;
  /** What detection found (services/detection); stored in messages.flags. */
  flags?: MessageFlag[];
  /** A message of the same conversation that this one answers (send_message() checks it). */
  replyToId?: string | null;
}

/** What send_message() answered. */
export type AppendResult =
  | { outcome: 'NOT_FOUND' }
  /** Either participant blocks the other (checked under the lock). */
  | { outcome: 'BLOCKED' }
  /** `replyToId` names no message of the conversation. */
  | { outcome: 'BAD_REPLY' }
  | { outcome: 'REPLAYED'; message: Message; participantIds: [string, string] }
  | {
      outcome: 'CREATED';
      message: Message;
      participantIds: [string, string];
      previousStatus: ConversationStatus;
      /** The outbox rows this append wrote: acknowledged once they are published. */
      outboxIds: string[];
    };

/** Membership, blocks and replay, checked before an expensive step (reading an upload) or to answer a refused step. */
export type Precheck = { outcome: 'NOT_FOUND' } | { outcome: 'BLOCKED' } | { outcome: 'REPLAYED'; message: Message } | { outcome: 'OK' };

const SEND_MESSAGE: Statement = {
  name: 'send_message',
  text: 'select * from send_message($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9, $10, $11::text[])',
};

const PRECHECK: Statement = {
  name: 'send_precheck',
  text: `select m.id, m.conversation_id, m.sequence, m.type, m.sender_id, m.content, m.metadata, m.client_message_id,
                m.created_at, m.delivered_at, m.read_at, m.reply_to_id, m.edited_at, m.deleted_at, m.revision, m.flags,
                u.display_name as sender_display_name, u.avatar_url as sender_avatar_url, u.last_seen_at as sender_last_seen_at,
                exists (select 1 from user_blocks b
                        where (b.blocker_id = c.participant_a_id and b.blocked_id = c.participant_b_id)
                           or (b.blocker_id = c.participant_b_id and b.blocked_id = c.participant_a_id)) as blocked
         from conversations c
         left join messages m on m.conversation_id = c.id and m.sender_id = $2 and m.client_message_id = $3
         left join users u on u.id = m.sender_id
         where c.id = $1 and (c.participant_a_id = $2 or c.participant_b_id = $2)`,
};

/**
 * The messages table as the send pipeline writes it: one statement per send (see the
 * send_pipeline migration). Values travel as bind parameters.
 */
export class MessageStore {
  constructor(private readonly outboxLeaseMs: number) {}

  /** Appends a message (or finds its replay) in one round trip. */
  async append(sql: Sql, message: NewMessage): Promise<AppendResult> {
    const image = message.image ? { id: randomUUID(), ...message.image } : null;
    const [row] = await sql.query<SendRow>(SEND_MESSAGE, [
      randomUUID(),
      message.conversationId,
      message.senderId,
      message.type,
      message.content,
      JSON.stringify(message.metadata),
      message.clientMessageId,
      image ? JSON.stringify(image) : null,
      this.outboxLeaseMs,
      message.replyToId ?? null,
      // Detection's flags (services/detection). Unflagged: the constant '{}', not a JS array, because
      // system messages run through EmSql, where MikroORM would inline an array as a comma list;
      // only user sends, through the pool, can carry flags.
      message.flags && message.flags.length > 0 ? message.flags : '{}',
    ]);
    const outcome = row.outcome;
    if (outcome === 'NOT_FOUND' || outcome === 'BAD_REPLY' || outcome === 'BLOCKED') return { outcome };
    const participantIds: [string, string] = [row.participant_a_id, row.participant_b_id];
    const stored = withSender(row);
    if (outcome === 'REPLAYED') return { outcome, message: stored, participantIds };
    if (image) stored.imageRow = { ...image, status: ImageStatus.READY };
    stored.flags = message.flags ?? [];
    // A new message has no reactions: its delivery needs no query for them.
    stored.reactionRows = [];
    return {
      outcome,
      message: stored,
      participantIds,
      previousStatus: row.previous_status,
      outboxIds: row.outbox_ids.map(String),
    };
  }

  /** Membership of the sender, and the message of an earlier attempt with the same key. */
  async precheck(sql: Sql, conversationId: string, senderId: string, clientMessageId: string | null): Promise<Precheck> {
    const rows = await sql.query<MessageWithSenderRow & { blocked: boolean }>(PRECHECK, [conversationId, senderId, clientMessageId]);
    if (rows.length === 0) return { outcome: 'NOT_FOUND' };
    if (rows[0].blocked) return { outcome: 'BLOCKED' };
    return rows[0].id ? { outcome: 'REPLAYED', message: withSender(rows[0]) } : { outcome: 'OK' };
  }
}

/** A message row with its sender's profile columns: resolvable without another query. */
function withSender(row: MessageWithSenderRow): Message {
  const message = toMessage(row);
  if (message.sender) message.senderProfile = toSenderProfile(message.sender.id, row);
  return message;
}
