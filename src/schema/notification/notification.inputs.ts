import { Field, InputType } from 'type-graphql';
import { DevicePlatform } from '../common/enums';

@InputType()
export class QuietHoursInput {
  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => String, { nullable: true })
  start?: string | null;

  @Field(() => String, { nullable: true })
  end?: string | null;

  @Field(() => String, { nullable: true })
  timezone?: string | null;
}

@InputType()
export class UpdateNotificationPreferencesInput {
  @Field(() => Boolean, { nullable: true })
  pushEnabled?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  emailEnabled?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  newMessagePush?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  newApplicationPush?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  applicationStatusPush?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  newReviewPush?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  workAgreementPush?: boolean | null;

  @Field(() => QuietHoursInput, { nullable: true })
  quietHours?: QuietHoursInput | null;
}

@InputType()
export class RegisterPushDeviceInput {
  @Field()
  token: string;

  @Field(() => DevicePlatform)
  platform: DevicePlatform;
}
