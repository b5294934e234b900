import type { ConversationStatus, ImageStatus, MessageType } from '../schema/common/enums';
import type { Conversation } from '../schema/conversation/conversation.entity';
import type { Message, MessageImageView, SenderProfile } from '../schema/message/message.entity';
import type { User } from '../schema/user/user.entity';

/** Column lists of the raw SQL that the hot paths run, and their rows as plain objects. */
export const MESSAGE_COLUMNS =
  'id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id, created_at, delivered_at, read_at';
export const CONVERSATION_COLUMNS =
  'id, participant_a_id, participant_b_id, job_application_id, status, created_at, updated_at, last_message_at, last_sequence, archived_at, archived_by_id, activity_at';

export const USER_COLUMNS = 'id, display_name, avatar_url, last_seen_at, created_at, updated_at';
export const IMAGE_COLUMNS =
  'id, message_id, status, mime_type, size_bytes, width, height, original_key, preview_key, thumbnail_key, delete_after';

export type Row = Record<string, unknown>;

type Ref = { id: string };
const ref = (id: unknown): Ref => ({ id: String(id) });

/** MikroORM has the driver hand timestamps over as text; the objects carry Dates. */
function date(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function dateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : date(value);
}

/**
 * A message row as the object the resolvers read. Rows of the hot paths are not registered
 * with the ORM (`em.map` costs more than the query on a send); nothing flushes them, and
 * relations are id references that loaders resolve when a client asks for them.
 */
export function toMessage(row: Row): Message {
  return {
    id: String(row.id),
    conversation: ref(row.conversation_id),
    sequence: Number(row.sequence),
    type: row.type as MessageType,
    sender: row.sender_id ? ref(row.sender_id) : null,
    content: (row.content as string | null) ?? null,
    metadata: (row.metadata as Record<string, unknown>) ?? {},
    clientMessageId: (row.client_message_id as string | null) ?? null,
    createdAt: date(row.created_at),
    deliveredAt: dateOrNull(row.delivered_at),
    readAt: dateOrNull(row.read_at),
  } as unknown as Message;
}

/**
 * A message with what its resolvers would otherwise load one by one: the sender's profile and
 * the image row. For deliveries and replays, which must cost no query per message and socket.
 * Callers add `where` / `order by` on the alias `m`.
 */
export const FULL_MESSAGE_SELECT = `select m.id, m.conversation_id, m.sequence, m.type, m.sender_id, m.content, m.metadata,
    m.client_message_id, m.created_at, m.delivered_at, m.read_at,
    u.display_name as sender_display_name, u.avatar_url as sender_avatar_url, u.last_seen_at as sender_last_seen_at,
    i.id as image_id, i.status as image_status, i.mime_type as image_mime_type, i.size_bytes as image_size_bytes,
    i.width as image_width, i.height as image_height, i.original_key as image_original_key,
    i.preview_key as image_preview_key, i.thumbnail_key as image_thumbnail_key, i.delete_after as image_delete_after,
    c.participant_a_id, c.participant_b_id
  from messages m
  join conversations c on c.id = m.conversation_id
  left join users u on u.id = m.sender_id
  left join message_images i on i.message_id = m.id`;

/** A row of FULL_MESSAGE_SELECT. */
export function toFullMessage(row: Row): Message {
  const message = toMessage(row);
  if (message.sender) message.senderProfile = toSenderProfile(message.sender.id, row);
  message.imageRow = row.image_id ? toImage(row, 'image_') : null;
  return message;
}

/** An image row (IMAGE_COLUMNS), or the same columns under a prefix (FULL_MESSAGE_SELECT's `image_`). */
export function toImage(row: Row, prefix = ''): MessageImageView {
  const column = (name: string) => row[`${prefix}${name}`];
  return {
    id: String(column('id')),
    status: column('status') as ImageStatus,
    mimeType: String(column('mime_type')),
    sizeBytes: Number(column('size_bytes')),
    width: Number(column('width')),
    height: Number(column('height')),
    originalKey: (column('original_key') as string | null) ?? null,
    previewKey: (column('preview_key') as string | null) ?? null,
    thumbnailKey: (column('thumbnail_key') as string | null) ?? null,
    deleteAfter: date(column('delete_after')),
  };
}

/** A user row (USER_COLUMNS) as the object the resolvers read (see toMessage). */
export function toUser(row: Row): User {
  return {
    id: String(row.id),
    displayName: (row.display_name as string | null) ?? null,
    avatarUrl: (row.avatar_url as string | null) ?? null,
    lastSeenAt: dateOrNull(row.last_seen_at),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

/** The sender columns (`sender_display_name`, ...) that statements join onto a message row. */
export function toSenderProfile(id: string, row: Row): SenderProfile {
  return {
    id,
    displayName: (row.sender_display_name as string | null) ?? null,
    avatarUrl: (row.sender_avatar_url as string | null) ?? null,
    lastSeenAt: dateOrNull(row.sender_last_seen_at),
  };
}

/** A conversation row as the object the resolvers read (see toMessage). */
export function toConversation(row: Row): Conversation {
  return {
    id: String(row.id),
    participantA: ref(row.participant_a_id),
    participantB: ref(row.participant_b_id),
    jobApplicationId: (row.job_application_id as string | null) ?? null,
    status: row.status as ConversationStatus,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    lastMessageAt: dateOrNull(row.last_message_at),
    lastSequence: Number(row.last_sequence),
    archivedAt: dateOrNull(row.archived_at),
    archivedBy: row.archived_by_id ? ref(row.archived_by_id) : null,
    activityAt: date(row.activity_at),
  } as unknown as Conversation;
}

/** The participant ids of a conversation, in stored order. */
export function participantIds(conversation: Conversation): [string, string] {
  return [conversation.participantA.id, conversation.participantB.id];
}

/** The participant who is not `viewerId`. */
export function otherParticipantId(conversation: Conversation, viewerId: string): string {
  const [a, b] = participantIds(conversation);
  return a === viewerId ? b : a;
}
