import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

/** One emoji on a message: how many reacted with it, whether the viewer did, and who. */
@ObjectType()
export class ReactionGroup {
  @Field({ description: 'One emoji, e.g. 👍' })
  emoji: string;

  @Field(() => Int)
  count: number;

  @Field()
  reactedByViewer: boolean;

  /** Resolved by `users` through the user loader. */
  userIds: string[];
}

@InputType()
export class EditMessageInput {
  @Field(() => ID)
  messageId: string;

  @Field()
  content: string;
}
