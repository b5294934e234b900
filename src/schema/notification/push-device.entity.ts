import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { DevicePlatform } from '../common/enums';
import { User } from '../user/user.entity';

/** A push token of one device. A token belongs to one user at a time (unique). */
@ObjectType()
@Entity({ tableName: 'push_devices' })
@Index({ properties: ['user'] })
export class PushDevice {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string;

  @ManyToOne(() => User, { fieldName: 'user_id', deleteRule: 'cascade' })
  user: User;

  @Property({ type: 'text', unique: true })
  token: string;

  @Field(() => DevicePlatform)
  @Enum({ items: () => DevicePlatform, nativeEnumName: 'device_platform' })
  platform: DevicePlatform;

  @Field(() => Date)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  lastSeenAt: Date | null = null;
}
