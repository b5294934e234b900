import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { PageInfo } from '../common/page-info.type';
import { Conversation } from '../conversation/conversation.entity';
import { Message } from './message.entity';
import type { ConversationView } from '../conversation/conversation.view';

@ObjectType()
export class MessageEdge {
  @Field()
  cursor: string;

  @Field(() => Message)
  node: Message;
}

@ObjectType()
export class MessageConnection {
  @Field(() => [MessageEdge])
  edges: MessageEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;
}

@ObjectType()
export class MarkReadPayload {
  @Field(() => Conversation)
  conversation: ConversationView;

  @Field(() => [ID], { description: 'The messages this call newly marked read (empty when all were read already).' })
  messageIds: string[];
}

@InputType()
export class SendMessageInput {
  @Field(() => ID)
  conversationId: string;

  @Field()
  content: string;

  @Field(() => String, { nullable: true, description: 'Idempotency key: a retry with the same key returns the first message.' })
  clientMessageId?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  metadata?: Record<string, unknown> | null;

  @Field(() => ID, { nullable: true, description: 'A message of the same conversation that this one answers.' })
  replyToId?: string | null;
}

@InputType()
export class MarkReadInput {
  @Field(() => ID)
  conversationId: string;

  @Field(() => [ID], { nullable: true, description: 'Mark these messages. With neither field: every message of the other participant.' })
  messageIds?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'Mark every message of the other participant up to and including this one.' })
  upToMessageId?: string | null;
}

@InputType()
export class PostSystemMessageInput {
  @Field(() => ID)
  conversationId: string;

  @Field()
  content: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  metadata?: Record<string, unknown> | null;
}
