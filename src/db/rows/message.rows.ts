import type { ImageStatus, MessageType } from '../../schema/common/enums';
import type { MessageFlag } from '../../schema/common/safety-enums';
import type { Message, SenderProfile } from '../../schema/message/message.entity';
import { toImage } from './image.rows';
import { date, dateOrNull, idRef, type Timestamp } from './row-values';

/** The `messages` columns the raw SQL reads, and their row. */
export const MESSAGE_COLUMNS =
  'id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id, created_at, delivered_at, read_at, reply_to_id, edited_at, deleted_at, revision, flags';

export interface MessageRow {
  id: string;
  conversation_id: string;
  sequence: number | string;
  type: MessageType;
  sender_id: string | null;
  content: string | null;
  metadata: Record<string, unknown> | null;
  client_message_id: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
  read_at: Timestamp | null;
  reply_to_id: string | null;
  edited_at: Timestamp | null;
  deleted_at: Timestamp | null;
  revision: number | string;
  /** Absent from send_message()'s answer (yet): the store sets them on what it answers. */
  flags?: MessageFlag[] | null;
}

/**
 * A message row as the object the resolvers read. Rows of the hot paths are not registered
 * with the ORM (`em.map` costs more than the query on a send); nothing flushes them, and
 * relations are id references that loaders resolve when a client asks for them.
 */
export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversation: idRef(row.conversation_id),
    sequence: Number(row.sequence),
    type: row.type,
    sender: row.sender_id ? idRef(row.sender_id) : null,
    content: row.content ?? null,
    metadata: row.metadata ?? {},
    clientMessageId: row.client_message_id ?? null,
    createdAt: date(row.created_at),
    deliveredAt: dateOrNull(row.delivered_at),
    readAt: dateOrNull(row.read_at),
    replyToId: row.reply_to_id ?? null,
    editedAt: dateOrNull(row.edited_at),
    deletedAt: dateOrNull(row.deleted_at),
    revision: Number(row.revision ?? 0),
    flags: row.flags ?? [],
    // The entity's relations are typed as entities; a read model carries id references only.
  } as unknown as Message;
}

/**
 * A message with what its resolvers would otherwise load one by one: the sender's profile and
 * the image row. For deliveries and replays, which must cost no query per message and socket.
 * Callers add `where` / `order by` on the alias `m`.
 */
export const FULL_MESSAGE_SELECT = `select m.id, m.conversation_id, m.sequence, m.type, m.sender_id, m.content, m.metadata,
    m.client_message_id, m.created_at, m.delivered_at, m.read_at, m.reply_to_id, m.edited_at, m.deleted_at, m.revision, m.flags,
    u.display_name as sender_display_name, u.avatar_url as sender_avatar_url, u.last_seen_at as sender_last_seen_at,
    i.id as image_id, i.status as image_status, i.mime_type as image_mime_type, i.size_bytes as image_size_bytes,
    i.width as image_width, i.height as image_height, i.original_key as image_original_key,
    i.preview_key as image_preview_key, i.thumbnail_key as image_thumbnail_key, i.delete_after as image_delete_after,
    c.participant_a_id, c.participant_b_id
  from messages m
  join conversations c on c.id = m.conversation_id
  left join users u on u.id = m.sender_id
  left join message_images i on i.message_id = m.id`;

/** The sender columns that statements join onto a message row. */
export interface SenderColumns {
  sender_display_name: string | null;
  sender_avatar_url: string | null;
  sender_last_seen_at: Timestamp | null;
}

/** A row of FULL_MESSAGE_SELECT: the image columns are null when the message has no image. */
export interface FullMessageRow extends MessageRow, SenderColumns {
  image_id: string | null;
  image_status: ImageStatus | null;
  image_mime_type: string | null;
  image_size_bytes: number | string | null;
  image_width: number | null;
  image_height: number | null;
  image_original_key: string | null;
  image_preview_key: string | null;
  image_thumbnail_key: string | null;
  image_delete_after: Timestamp | null;
  participant_a_id: string;
  participant_b_id: string;
}

/** A row of FULL_MESSAGE_SELECT. */
export function toFullMessage(row: FullMessageRow): Message {
  const message = toMessage(row);
  if (message.sender) message.senderProfile = toSenderProfile(message.sender.id, row);
  message.imageRow = row.image_id
    ? toImage({
        id: row.image_id,
        status: row.image_status!,
        mime_type: row.image_mime_type!,
        size_bytes: row.image_size_bytes!,
        width: row.image_width!,
        height: row.image_height!,
        original_key: row.image_original_key,
        preview_key: row.image_preview_key,
        thumbnail_key: row.image_thumbnail_key,
        delete_after: row.image_delete_after!,
      })
    : null;
  return message;
}

/** The sender columns (`sender_display_name`, ...) that statements join onto a message row. */
export function toSenderProfile(id: string, row: SenderColumns): SenderProfile {
  return {
    id,
    displayName: row.sender_display_name ?? null,
    avatarUrl: row.sender_avatar_url ?? null,
    lastSeenAt: dateOrNull(row.sender_last_seen_at),
  };
}
