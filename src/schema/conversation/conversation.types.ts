import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../common/page-info.type';
import { Conversation } from './conversation.entity';
import type { ConversationView } from './conversation.view';

@ObjectType()
export class ConversationEdge {
  @Field()
  cursor: string;

  @Field(() => Conversation)
  node: ConversationView;
}

@ObjectType()
export class ConversationConnection {
  @Field(() => [ConversationEdge])
  edges: ConversationEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  /** Counted only when the field is selected. */
  countTotal: () => Promise<number>;

  @Field(() => Int)
  totalCount(): Promise<number> {
    return this.countTotal();
  }
}

@InputType()
export class StartConversationInput {
  @Field(() => ID)
  participantId: string;

  @Field(() => ID, { nullable: true })
  jobApplicationId?: string | null;
}

@InputType()
export class ServiceStartConversationInput {
  @Field(() => [ID], { description: 'Exactly two distinct user ids.' })
  participantIds: string[];

  @Field(() => ID, { nullable: true })
  jobApplicationId?: string | null;

  @Field(() => String, { nullable: true, description: 'Posted as the first SYSTEM message when the conversation is new.' })
  systemMessage?: string | null;
}
