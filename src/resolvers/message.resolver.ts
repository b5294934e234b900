import { Kind, type GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { MessageType } from '../schema/common/enums';
import { Conversation } from '../schema/conversation/conversation.entity';
import { MessageImage } from '../schema/message/message-image.entity';
import { Message, type MessageImageView, type SenderProfile } from '../schema/message/message.entity';
import { EditMessageInput, ReactionGroup } from '../schema/message/reaction.types';
import { MessageSearchConnection } from '../schema/message/search.types';
import { MarkReadInput, MarkReadPayload, PostSystemMessageInput, SendMessageInput } from '../schema/message/message.types';
import { User } from '../schema/user/user.entity';
import { Role, viewerUser } from './auth-checker';
import type { ConversationView } from '../schema/conversation/conversation.view';

@Resolver(() => Message)
export class MessageResolver {
  @Authorized(Role.USER)
  @Mutation(() => Message)
  sendMessage(@Arg('input', () => SendMessageInput) input: SendMessageInput, @Ctx() ctx: Context): Promise<Message> {
    return ctx.services.messages.send(viewerUser(ctx).id, input);
  }

  @Authorized(Role.USER)
  @Query(() => MessageSearchConnection, {
    description: "The viewer's messages (every conversation of theirs, or one) whose text matches `query`,\nbest match first. first at most 50, default 20.",
  })
  searchMessages(
    @Arg('query') query: string,
    @Arg('conversationId', () => ID, { nullable: true }) conversationId: string | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<MessageSearchConnection> {
    return ctx.services.search.search(ctx.em, viewerUser(ctx).id, { query, conversationId, first, after });
  }

  @Authorized(Role.USER)
  @Mutation(() => MarkReadPayload)
  markRead(@Arg('input', () => MarkReadInput) input: MarkReadInput, @Ctx() ctx: Context): Promise<MarkReadPayload> {
    return ctx.services.messages.markRead(ctx.em, viewerUser(ctx).id, input);
  }

  @Authorized(Role.SERVICE)
  @Mutation(() => Message, { description: 'Service role only.' })
  postSystemMessage(@Arg('input', () => PostSystemMessageInput) input: PostSystemMessageInput, @Ctx() ctx: Context): Promise<Message> {
    return ctx.services.messages.postSystem(input);
  }

  @Authorized(Role.USER)
  @Mutation(() => Message, { description: 'The sender only; TEXT messages and image captions.' })
  editMessage(@Arg('input', () => EditMessageInput) input: EditMessageInput, @Ctx() ctx: Context): Promise<Message> {
    return ctx.services.messageChanges.edit(ctx.em, viewerUser(ctx).id, input.messageId, input.content);
  }

  @Authorized(Role.USER)
  @Mutation(() => Message, { description: 'The sender only. The message keeps its place (sequence) as a tombstone.' })
  deleteMessage(@Arg('messageId', () => ID) messageId: string, @Ctx() ctx: Context): Promise<Message> {
    return ctx.services.messageChanges.delete(ctx.em, viewerUser(ctx).id, messageId);
  }

  @Authorized(Role.USER)
  @Mutation(() => Message, { description: 'Either participant; one emoji. Adding the same emoji twice changes nothing.' })
  addReaction(@Arg('messageId', () => ID) messageId: string, @Arg('emoji') emoji: string, @Ctx() ctx: Context): Promise<Message> {
    return ctx.services.messageChanges.addReaction(ctx.em, viewerUser(ctx).id, messageId, emoji);
  }

  @Authorized(Role.USER)
  @Mutation(() => Message)
  removeReaction(@Arg('messageId', () => ID) messageId: string, @Arg('emoji') emoji: string, @Ctx() ctx: Context): Promise<Message> {
    return ctx.services.messageChanges.removeReaction(ctx.em, viewerUser(ctx).id, messageId, emoji);
  }

  @FieldResolver(() => ID)
  conversationId(@Root() message: Message): string {
    return message.conversation.id;
  }

  @FieldResolver(() => Conversation)
  async conversation(@Root() message: Message, @Ctx() ctx: Context): Promise<ConversationView> {
    return (await ctx.loaders.conversation.load(message.conversation.id))!;
  }

  @FieldResolver(() => User, { nullable: true, description: 'Null for system messages.' })
  sender(@Root() message: Message, @Ctx() ctx: Context): Promise<User | null> | SenderProfile | null {
    // Sends, deliveries and replays carry the profile: no query per message and socket.
    if (message.senderProfile) return message.senderProfile;
    return message.sender ? ctx.loaders.user.load(message.sender.id) : null;
  }

  @FieldResolver(() => MessageImage, { nullable: true })
  image(@Root() message: Message, @Ctx() ctx: Context): Promise<MessageImageView | null> | MessageImageView | null {
    if (message.type !== MessageType.IMAGE || message.deletedAt) return null;
    return message.imageRow !== undefined ? message.imageRow : ctx.loaders.image.load(message.id);
  }

  @FieldResolver(() => Message, { nullable: true, description: 'The message this one answers, in the same conversation (a deleted one shows as such).' })
  replyTo(@Root() message: Message, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<Message | null> | Pick<Message, 'id'> | null {
    if (!message.replyToId) return null;
    // `replyTo { id }` is answered from the id the row or the delivery carries: no query.
    if (selectsOnlyId(info)) return { id: message.replyToId };
    return ctx.loaders.message.load(message.replyToId);
  }

  @FieldResolver(() => [ReactionGroup], { description: 'Grouped by emoji, the most used first.' })
  async reactions(@Root() message: Message, @Ctx() ctx: Context): Promise<ReactionGroup[]> {
    if (message.deletedAt) return [];
    // Sends and deliveries carry them; a page of history loads them in one statement.
    const rows = message.reactionRows ?? (await ctx.loaders.reactions.load(message.id));
    const viewerId = ctx.viewer?.kind === 'user' ? ctx.viewer.id : null;
    return rows.map((row) => ({ emoji: row.emoji, count: row.userIds.length, reactedByViewer: viewerId !== null && row.userIds.includes(viewerId), userIds: row.userIds }));
  }
}

/** True when the field's selection is `{ id }` (with `__typename` at most), without fragments. */
function selectsOnlyId(info: GraphQLResolveInfo): boolean {
  return info.fieldNodes.every((node) =>
    (node.selectionSet?.selections ?? []).every((selection) => selection.kind === Kind.FIELD && (selection.name.value === 'id' || selection.name.value === '__typename')),
  );
}

@Resolver(() => ReactionGroup)
export class ReactionGroupResolver {
  @FieldResolver(() => [User])
  async users(@Root() group: ReactionGroup, @Ctx() ctx: Context): Promise<User[]> {
    const users = await ctx.loaders.user.loadMany(group.userIds);
    return users.filter((user): user is User => user !== null && !(user instanceof Error));
  }
}
