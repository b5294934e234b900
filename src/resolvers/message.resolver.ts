import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { MessageType } from '../schema/common/enums';
import { Conversation } from '../schema/conversation/conversation.entity';
import { MessageImage } from '../schema/message/message-image.entity';
import { Message, type MessageImageView, type SenderProfile } from '../schema/message/message.entity';
import { MarkReadInput, MarkReadPayload, PostSystemMessageInput, SendMessageInput } from '../schema/message/message.types';
import { User } from '../schema/user/user.entity';
import { Role, viewerUser } from './auth-checker';

@Resolver(() => Message)
export class MessageResolver {
  @Authorized(Role.USER)
  @Mutation(() => Message)
  sendMessage(@Arg('input', () => SendMessageInput) input: SendMessageInput, @Ctx() ctx: Context): Promise<Message> {
    return ctx.services.messages.send(viewerUser(ctx).id, input);
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

  @FieldResolver(() => ID)
  conversationId(@Root() message: Message): string {
    return message.conversation.id;
  }

  @FieldResolver(() => Conversation)
  async conversation(@Root() message: Message, @Ctx() ctx: Context): Promise<Conversation> {
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
    if (message.type !== MessageType.IMAGE) return null;
    return message.imageRow !== undefined ? message.imageRow : ctx.loaders.image.load(message.id);
  }
}
