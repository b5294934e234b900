import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class UpsertUserInput {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true })
  displayName?: string | null;

  @Field(() => String, { nullable: true })
  avatarUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Where email notifications go (see emailEnabled).' })
  email?: string | null;
}
