import { Field, ID, ObjectType } from 'type-graphql';
import { ConversationEventKind, PresenceStatus } from '../common/enums';
import { Conversation } from '../conversation/conversation.entity';
import type { ConversationView } from '../conversation/conversation.view';

/** What one markRead call newly marked, as both participants' `messageRead` receive it. */
@ObjectType()
export class ReadReceipt {
  @Field(() => ID)
  conversationId: string;

  @Field(() => ID)
  readerId: string;

  @Field(() => [ID], { description: 'The messages this receipt newly marked read.' })
  messageIds: string[];

  @Field(() => Date)
  readAt: Date;
}

/** One participant started or stopped typing (`isTyping: false` also when it expired). */
@ObjectType()
export class TypingEvent {
  @Field(() => ID)
  conversationId: string;

  @Field(() => ID)
  userId: string;

  @Field()
  isTyping: boolean;
}

/** A contact came online or went offline; OFFLINE carries `lastSeenAt`. */
@ObjectType()
export class PresenceEvent {
  @Field(() => ID)
  userId: string;

  @Field(() => PresenceStatus)
  status: PresenceStatus;

  @Field(() => Date, { nullable: true })
  lastSeenAt: Date | null;
}

/** A conversation of the viewer was created, updated, archived or unarchived, as it is now. */
@ObjectType()
export class ConversationEvent {
  @Field(() => ConversationEventKind)
  kind: ConversationEventKind;

  @Field(() => Conversation)
  conversation: ConversationView;
}
