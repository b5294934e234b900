import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { badInput, notFound } from '../errors';
import { ConversationStatus } from '../schema/common/enums';
import { Conversation } from '../schema/conversation/conversation.entity';
import {
  ConversationConnection,
  ServiceStartConversationInput,
  StartConversationInput,
} from '../schema/conversation/conversation.types';
import { Message } from '../schema/message/message.entity';
import { MessageConnection } from '../schema/message/message.types';
import { User } from '../schema/user/user.entity';
import { isUuid } from '../auth/viewer';
import { otherParticipantId } from '../services/rows';
import { Role, viewerUser } from './auth-checker';
import type { ConversationView } from '../schema/conversation/conversation.view';

@ArgsType()
class MessagesArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true })
  last?: number | null;

  @Field(() => String, { nullable: true })
  before?: string | null;
}

@ArgsType()
class ConversationsArgs {
  @Field(() => [ConversationStatus], { nullable: true })
  status?: ConversationStatus[] | null;

  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@Resolver(() => Conversation)
export class ConversationResolver {
  @Authorized(Role.USER)
  @Query(() => Conversation, { description: 'NOT_FOUND when it does not exist or the viewer is not a participant.' })
  conversation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ConversationView> {
    return ctx.services.conversations.getForViewer(ctx.em, viewerUser(ctx).id, id);
  }

  @Authorized(Role.USER)
  @Query(() => ConversationConnection, { description: 'Most recent activity first. Default status: [ACTIVE]. first at most 100, default 20.' })
  async conversations(@Args(() => ConversationsArgs) args: ConversationsArgs, @Ctx() ctx: Context): Promise<ConversationConnection> {
    const page = await ctx.services.conversations.list(ctx.em, viewerUser(ctx).id, args.status, args.first, args.after);
    return Object.assign(new ConversationConnection(), { edges: page.edges, pageInfo: page.pageInfo, countTotal: page.totalCount });
  }

  @Authorized(Role.USER)
  @Query(() => Int, { description: "Unread messages across all of the viewer's conversations." })
  unreadTotal(@Ctx() ctx: Context): Promise<number> {
    return ctx.services.conversations.unreadTotal(ctx.em, viewerUser(ctx).id);
  }

  @Authorized(Role.USER)
  @Mutation(() => Conversation, { description: 'Returns the existing conversation when one already exists for the pair and job application.' })
  async startConversation(@Arg('input', () => StartConversationInput) input: StartConversationInput, @Ctx() ctx: Context): Promise<ConversationView> {
    const result = await ctx.services.conversations.start(ctx.em, viewerUser(ctx).id, input.participantId, input.jobApplicationId);
    return result.conversation;
  }

  @Authorized(Role.USER)
  @Mutation(() => Conversation)
  archiveConversation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ConversationView> {
    return ctx.services.conversations.archive(ctx.em, viewerUser(ctx).id, id);
  }

  @Authorized(Role.USER)
  @Mutation(() => Conversation)
  unarchiveConversation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ConversationView> {
    return ctx.services.conversations.unarchive(ctx.em, viewerUser(ctx).id, id);
  }

  @Authorized(Role.SERVICE)
  @Mutation(() => Conversation, { description: 'Service role only.' })
  async serviceStartConversation(
    @Arg('input', () => ServiceStartConversationInput) input: ServiceStartConversationInput,
    @Ctx() ctx: Context,
  ): Promise<ConversationView> {
    const ids = [...new Set(input.participantIds.map((id) => id.toLowerCase()))];
    if (input.participantIds.length !== 2 || ids.length !== 2) {
      throw badInput('participantIds must be exactly two distinct user ids', 'participantIds');
    }
    if (!ids.every(isUuid)) throw notFound('User');
    return ctx.services.messages.startWithSystemMessage(ctx.em, ids as [string, string], input.jobApplicationId, input.systemMessage, ctx.viewer!.id);
  }

  @FieldResolver(() => [User])
  async participants(@Root() conversation: ConversationView, @Ctx() ctx: Context): Promise<User[]> {
    const users = await ctx.loaders.user.loadMany([conversation.participantA.id, conversation.participantB.id]);
    return users as User[];
  }

  @FieldResolver(() => User, { description: 'The participant who is not the viewer.' })
  async otherParticipant(@Root() conversation: ConversationView, @Ctx() ctx: Context): Promise<User> {
    return (await ctx.loaders.user.load(otherParticipantId(conversation, ctx.viewer?.id ?? '')))!;
  }

  @FieldResolver(() => Message, { nullable: true })
  lastMessage(@Root() conversation: ConversationView, @Ctx() ctx: Context): Promise<Message | null> | null {
    if (conversation.lastSequence === 0) return null;
    return ctx.loaders.lastMessage.load(`${conversation.id}:${conversation.lastSequence}`);
  }

  @FieldResolver(() => Int, { description: 'Messages from the other participant that the viewer has not read.' })
  unreadCount(@Root() conversation: ConversationView, @Ctx() ctx: Context): Promise<number> {
    return ctx.loaders.unreadCount.load(conversation.id);
  }

  @FieldResolver(() => Boolean, { description: 'True while either participant blocks the other: nobody can send, type or see presence in it.' })
  async isBlocked(@Root() conversation: Conversation, @Ctx() ctx: Context): Promise<boolean> {
    return (await ctx.loaders.blockRelation.load(otherParticipantId(conversation, ctx.viewer?.id ?? ''))).isBlocked;
  }

  @FieldResolver(() => Boolean, { description: 'True when the viewer blocks the other participant.' })
  async blockedByViewer(@Root() conversation: Conversation, @Ctx() ctx: Context): Promise<boolean> {
    return (await ctx.loaders.blockRelation.load(otherParticipantId(conversation, ctx.viewer?.id ?? ''))).blockedByViewer;
  }

  @FieldResolver(() => MessageConnection, { description: 'Oldest first. With no arguments: the latest 50. first/last at most 100.' })
  messages(@Root() conversation: ConversationView, @Args(() => MessagesArgs) args: MessagesArgs, @Ctx() ctx: Context): Promise<MessageConnection> {
    // A user's page may come from the read replica; a service token's stays on the primary.
    return ctx.services.messages.page(ctx.em, conversation, args, ctx.viewer?.kind === 'user' ? ctx.viewer.id : null);
  }
}
