import type { ConversationStatus, MessageType } from '../schema/common/enums';
import type { Conversation } from '../schema/conversation/conversation.entity';
import type { Message } from '../schema/message/message.entity';

/** Column lists of the raw SQL that the hot paths run, and their rows as plain objects. */
export const MESSAGE_COLUMNS =
  'id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id, created_at, delivered_at, read_at';
export const CONVERSATION_COLUMNS =
  'id, participant_a_id, participant_b_id, job_application_id, status, created_at, updated_at, last_message_at, last_sequence, archived_at, archived_by_id, activity_at';

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
