import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../common/page-info.type';
import { ReportReason, ReportStatus } from '../common/safety-enums';
import { User } from '../user/user.entity';

@ObjectType({ description: 'A message as it was when it was reported: kept even if it is edited or deleted later.' })
export class EvidenceMessage {
  @Field(() => ID)
  messageId: string;

  @Field(() => Int)
  sequence: number;

  @Field(() => ID, { nullable: true })
  senderId: string | null;

  @Field(() => String, { nullable: true })
  content: string | null;

  @Field(() => Date)
  createdAt: Date;
}

/** A row of `reports`; reporter, reportedUser and evidence resolve through loaders. */
@ObjectType()
export class Report {
  @Field(() => ID)
  id: string;

  @Field(() => ReportReason)
  reason: ReportReason;

  @Field(() => String, { nullable: true })
  details: string | null;

  @Field(() => ReportStatus)
  status: ReportStatus;

  @Field(() => Date)
  createdAt: Date;

  reporterId: string;
  reportedUserId: string;

  @Field(() => User)
  reporter: User;

  @Field(() => User)
  reportedUser: User;

  @Field(() => ID, { nullable: true })
  conversationId: string | null;

  @Field(() => ID, { nullable: true })
  messageId: string | null;

  /** Stored; shown to the service role only (report.resolver.ts). */
  storedResolutionNote: string | null;
}

@ObjectType()
export class ReportEdge {
  @Field()
  cursor: string;

  @Field(() => Report)
  node: Report;
}

@ObjectType()
export class ReportConnection {
  @Field(() => [ReportEdge])
  edges: ReportEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;
}

@InputType()
export class ReportMessageInput {
  @Field(() => ID)
  messageId: string;

  @Field(() => ReportReason)
  reason: ReportReason;

  @Field(() => String, { nullable: true })
  details?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Also block the sender.' })
  block?: boolean | null;
}

@InputType()
export class ReportUserInput {
  @Field(() => ID)
  userId: string;

  @Field(() => ReportReason)
  reason: ReportReason;

  @Field(() => String, { nullable: true })
  details?: string | null;

  @Field(() => ID, { nullable: true, description: 'The conversation the report is about, if any: its last 20 messages become the evidence.' })
  conversationId?: string | null;

  @Field(() => Boolean, { nullable: true })
  block?: boolean | null;
}
