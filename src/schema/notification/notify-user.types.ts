import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { NotificationOutcome, NotificationType } from '../common/enums';

@InputType()
export class NotifyUserInput {
  @Field(() => ID)
  userId: string;

  @Field(() => NotificationType)
  type: NotificationType;

  @Field()
  title: string;

  @Field()
  body: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  data?: Record<string, unknown> | null;
}

@ObjectType()
export class NotificationResult {
  @Field(() => NotificationOutcome)
  outcome: NotificationOutcome;
}
