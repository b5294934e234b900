import { Entity, OneToOne, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { User } from '../user/user.entity';

@ObjectType()
export class QuietHours {
  @Field()
  enabled: boolean;

  @Field({ description: 'HH:MM, 24-hour clock, in `timezone`.' })
  start: string;

  @Field()
  end: string;

  @Field({ description: 'IANA time zone name, e.g. Europe/Madrid.' })
  timezone: string;
}

/** Defaults as CONTRACT.md says: everything on, quiet hours off (22:00-08:00 UTC). */
@ObjectType()
@Entity({ tableName: 'notification_preferences' })
export class NotificationPreferences {
  @OneToOne(() => User, { primary: true, fieldName: 'user_id', owner: true })
  user: User;

  @Field()
  @Property({ default: true })
  pushEnabled: boolean = true;

  @Field()
  @Property({ default: true })
  emailEnabled: boolean = true;

  @Field()
  @Property({ default: true })
  newMessagePush: boolean = true;

  @Field()
  @Property({ default: true })
  newApplicationPush: boolean = true;

  @Field()
  @Property({ default: true })
  applicationStatusPush: boolean = true;

  @Field()
  @Property({ default: true })
  newReviewPush: boolean = true;

  @Field()
  @Property({ default: true })
  workAgreementPush: boolean = true;

  @Property({ default: false })
  quietHoursEnabled: boolean = false;

  @Property({ type: 'text', default: '22:00' })
  quietHoursStart: string = '22:00';

  @Property({ type: 'text', default: '08:00' })
  quietHoursEnd: string = '08:00';

  @Property({ type: 'text', default: 'UTC' })
  quietHoursTimezone: string = 'UTC';

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Field(() => QuietHours)
  get quietHours(): QuietHours {
    return {
      enabled: this.quietHoursEnabled,
      start: this.quietHoursStart,
      end: this.quietHoursEnd,
      timezone: this.quietHoursTimezone,
    };
  }
}
