import { Field, ObjectType } from 'type-graphql';
import { PresenceStatus } from '../common/enums';

@ObjectType()
export class Presence {
  @Field(() => PresenceStatus)
  status: PresenceStatus;

  @Field(() => Date, { nullable: true })
  lastSeenAt: Date | null;
}
