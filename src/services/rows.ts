import type { EntityManager } from '@mikro-orm/postgresql';
import { Conversation } from '../schema/conversation/conversation.entity';
import { Message } from '../schema/message/message.entity';

/** Column lists of the raw SQL that the hot paths run; `em.map` turns such rows into entities. */
export const MESSAGE_COLUMNS =
  'id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id, created_at, delivered_at, read_at';
export const CONVERSATION_COLUMNS =
  'id, participant_a_id, participant_b_id, job_application_id, status, created_at, updated_at, last_message_at, last_sequence, archived_at, archived_by_id, activity_at';

export type Row = Record<string, unknown>;

export function toMessage(em: EntityManager, row: Row): Message {
  return em.map(Message, row);
}

export function toConversation(em: EntityManager, row: Row): Conversation {
  return em.map(Conversation, row);
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
