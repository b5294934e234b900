import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { ReportStatus } from '../schema/common/safety-enums';
import { EvidenceMessage, Report, ReportConnection, ReportMessageInput, ReportUserInput } from '../schema/report/report.types';
import { User } from '../schema/user/user.entity';
import { Role, viewerUser } from './auth-checker';

@ArgsType()
class ReportsArgs {
  @Field(() => ReportStatus, { nullable: true })
  status?: ReportStatus | null;

  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

const isService = (ctx: Context) => ctx.viewer?.kind === 'service';

@Resolver(() => Report)
export class ReportResolver {
  @Authorized(Role.USER)
  @Mutation(() => Report)
  reportMessage(@Arg('input', () => ReportMessageInput) input: ReportMessageInput, @Ctx() ctx: Context): Promise<Report> {
    return ctx.services.reports.reportMessage(ctx.em, viewerUser(ctx).id, input);
  }

  @Authorized(Role.USER)
  @Mutation(() => Report)
  reportUser(@Arg('input', () => ReportUserInput) input: ReportUserInput, @Ctx() ctx: Context): Promise<Report> {
    return ctx.services.reports.reportUser(ctx.em, viewerUser(ctx).id, input);
  }

  @Authorized(Role.SERVICE)
  @Query(() => ReportConnection, { description: 'Service role only. Newest first; default status OPEN. first at most 100, default 20.' })
  reports(@Args(() => ReportsArgs) args: ReportsArgs, @Ctx() ctx: Context): Promise<ReportConnection> {
    return ctx.services.reports.list(ctx.em, args.status, args.first, args.after);
  }

  @Authorized(Role.SERVICE)
  @Mutation(() => Report, { description: 'Service role only.' })
  resolveReport(
    @Arg('id', () => ID) id: string,
    @Arg('status', () => ReportStatus) status: ReportStatus,
    @Arg('note', () => String, { nullable: true }) note: string | null,
    @Ctx() ctx: Context,
  ): Promise<Report> {
    return ctx.services.reports.resolve(ctx.em, ctx.viewer!.id, id, status, note);
  }

  @FieldResolver(() => User)
  async reporter(@Root() report: Report, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.user.load(report.reporterId))!;
  }

  @FieldResolver(() => User)
  async reportedUser(@Root() report: Report, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.user.load(report.reportedUserId))!;
  }

  @FieldResolver(() => [EvidenceMessage], { description: 'Service role only: the reported message and up to 20 messages before it, as they were.' })
  evidence(@Root() report: Report, @Ctx() ctx: Context): Promise<EvidenceMessage[]> | EvidenceMessage[] {
    // The reporter sees their report, never the evidence (it holds the other side's messages).
    return isService(ctx) ? ctx.loaders.reportEvidence.load(report.id) : [];
  }

  @FieldResolver(() => String, { nullable: true, description: 'Service role only.' })
  resolutionNote(@Root() report: Report, @Ctx() ctx: Context): string | null {
    return isService(ctx) ? report.storedResolutionNote : null;
  }
}
