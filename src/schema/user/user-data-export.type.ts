import { Field, ObjectType } from 'type-graphql';

@ObjectType()
export class UserDataExport {
  @Field({ description: 'A signed URL of one JSON document with everything the service holds about the user.' })
  url: string;

  @Field(() => Date)
  expiresAt: Date;
}
