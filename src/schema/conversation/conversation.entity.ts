import { Entity, Enum, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { ConversationStatus } from '../common/enums';
import { User } from '../user/user.entity';
import type { ConversationView } from './conversation.view';

/**
 * A one-to-one conversation. The pair is stored in a fixed order (participantA < participantB)
 * so that (pair, jobApplicationId) can be unique whichever of the two started it.
 * Participant, last-message and unread fields are resolved through per-request loaders.
 */
@ObjectType()
@Entity({ tableName: 'conversations' })
export class Conversation implements ConversationView {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string;

  @ManyToOne(() => User, { fieldName: 'participant_a_id' })
  participantA: User;

  @ManyToOne(() => User, { fieldName: 'participant_b_id' })
  participantB: User;

  /** Id of the job application in the marketplace's own service (no table here). */
  @Field(() => ID, { nullable: true })
  @Property({ type: 'text', nullable: true })
  jobApplicationId: string | null = null;

  @Field(() => ConversationStatus)
  @Enum({ items: () => ConversationStatus, nativeEnumName: 'conversation_status', default: ConversationStatus.ACTIVE })
  status: ConversationStatus = ConversationStatus.ACTIVE;

  @Field(() => Date)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => Date)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  lastMessageAt: Date | null = null;

  /** Sequence of the newest message; the next message takes lastSequence + 1 under a row lock. */
  @Property({ type: 'integer', default: 0 })
  lastSequence: number = 0;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  archivedAt: Date | null = null;

  /** Null when archived by the auto-archive job. */
  @ManyToOne(() => User, { fieldName: 'archived_by_id', nullable: true })
  archivedBy: User | null = null;

  /** coalesce(last_message_at, created_at): the list's sort key, kept by PostgreSQL itself. */
  @Property({
    type: 'timestamptz',
    generated: '(coalesce(last_message_at, created_at)) stored',
  })
  activityAt: Date;
}
