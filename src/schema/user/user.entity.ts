import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/**
 * A person of the marketplace. Provisioned just in time from token claims, or upserted by a
 * trusted backend; `presence` is resolved from the realtime layer.
 */
@ObjectType()
@Entity({ tableName: 'users' })
export class User {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  displayName: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  avatarUrl: string | null = null;

  /** Where email digests go (the `email` claim or upsertUser); never shown by the API. */
  @Property({ type: 'text', nullable: true })
  email?: string | null = null;

  /** When the user's last realtime connection closed; shown with OFFLINE presence. */
  @Property({ type: 'timestamptz', nullable: true })
  lastSeenAt: Date | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
