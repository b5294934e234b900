import type { ConversationStatus } from '../../schema/common/enums';
import type { ConversationView } from '../../schema/conversation/conversation.view';
import { date, dateOrNull, idRef, type Timestamp } from './row-values';

/** The `conversations` columns the raw SQL reads, and their row. */
export const CONVERSATION_COLUMNS =
  'id, participant_a_id, participant_b_id, job_application_id, status, created_at, updated_at, last_message_at, last_sequence, archived_at, archived_by_id, activity_at';

export interface ConversationRow {
  id: string;
  participant_a_id: string;
  participant_b_id: string;
  job_application_id: string | null;
  status: ConversationStatus;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_message_at: Timestamp | null;
  last_sequence: number | string;
  archived_at: Timestamp | null;
  archived_by_id: string | null;
  activity_at: Timestamp;
}

/**
 * A conversation row as the read model the services and resolvers use. Rows of the hot paths
 * are not registered with the ORM (`em.map` costs more than the query); nothing flushes them.
 */
export function toConversation(row: ConversationRow): ConversationView {
  return {
    id: row.id,
    participantA: idRef(row.participant_a_id),
    participantB: idRef(row.participant_b_id),
    jobApplicationId: row.job_application_id ?? null,
    status: row.status,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    lastMessageAt: dateOrNull(row.last_message_at),
    lastSequence: Number(row.last_sequence),
    archivedAt: dateOrNull(row.archived_at),
    archivedBy: row.archived_by_id ? idRef(row.archived_by_id) : null,
    activityAt: date(row.activity_at),
  };
}

/** The participant ids of a conversation, in stored order. */
export function participantIds(conversation: ConversationView): [string, string] {
  return [conversation.participantA.id, conversation.participantB.id];
}

/** The participant who is not `viewerId`. */
export function otherParticipantId(conversation: ConversationView, viewerId: string): string {
  const [a, b] = participantIds(conversation);
  return a === viewerId ? b : a;
}
