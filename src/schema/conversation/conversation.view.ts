import type { IdRef } from '../../db/rows/row-values';
import type { ConversationStatus } from '../common/enums';

/**
 * A conversation as services and resolvers read it (the `Conversation` GraphQL type resolves
 * from it). Relations are id references: the raw SQL of the hot paths maps rows to this, and
 * the entity satisfies it too.
 */
export interface ConversationView {
  id: string;
  participantA: IdRef;
  participantB: IdRef;
  jobApplicationId: string | null;
  status: ConversationStatus;
  createdAt: Date;
  updatedAt: Date;
  lastMessageAt: Date | null;
  lastSequence: number;
  archivedAt: Date | null;
  archivedBy: IdRef | null;
  activityAt: Date;
}
