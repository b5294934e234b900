import { Args, ArgsType, Authorized, Ctx, Field, ID, Int, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import type { Context } from '../context';
import { markCommitted } from '../observability/delivery-latency';
import type { ConversationEventPayload, PresencePayload, ReadReceiptPayload, TypingPayload } from '../realtime/topics';
import { Message } from '../schema/message/message.entity';
import { ConversationEvent, PresenceEvent, ReadReceipt, TypingEvent } from '../schema/realtime/realtime.types';
import type { DeliveredMessage } from '../services/subscription.service';
import { Role, viewerUser } from './auth-checker';

@ArgsType()
class MessageReceivedArgs {
  @Field(() => ID, { nullable: true })
  conversationId?: string | null;

  @Field(() => Int, { nullable: true })
  afterSequence?: number | null;
}

@ArgsType()
class MessageUpdatedArgs {
  @Field(() => ID, { nullable: true })
  conversationId?: string | null;

  @Field(() => Int, { nullable: true })
  afterRevision?: number | null;
}

@ArgsType()
class OptionalConversationArgs {
  @Field(() => ID, { nullable: true })
  conversationId?: string | null;
}

@ArgsType()
class ConversationArgs {
  @Field(() => ID)
  conversationId: string;
}

type Subscribe<TArgs> = SubscribeResolverData<unknown, TArgs, Context>;

/**
 * The Subscription type. Each field has its own `subscribe` (a service call that checks access
 * and returns an iterator of small payloads); the resolvers below turn one payload into the
 * GraphQL object without a database round trip. Subscription contexts live as long as the
 * subscription, so an event that needs the EntityManager starts with an empty identity map.
 */
@Resolver()
export class SubscriptionResolver {
  @Authorized(Role.USER)
  @Subscription(() => Message, {
    description:
      "New messages in one conversation, or in all of the viewer's conversations when\nconversationId is omitted (the viewer's own included, for their other devices).\nWith conversationId and afterSequence: first every stored message with a greater\nsequence, in order, then live ones: no gap and no duplicate across the switch.",
    subscribe: ({ args, context }: Subscribe<MessageReceivedArgs>) =>
      context.services.subscriptions.messages(context.em, viewerUser(context).id, args.conversationId, args.afterSequence),
  })
  messageReceived(
    @Root() delivery: DeliveredMessage,
    @Args(() => MessageReceivedArgs) _args: MessageReceivedArgs,
    @Ctx() ctx: Context,
  ): Message {
    // Nothing here touches MikroORM (the payload carries the fields; loaders use the pool), so
    // no EntityManager is forked for a subscription that only delivers messages.
    if (delivery.committedAt !== null) markCommitted(ctx, delivery.committedAt);
    return delivery.message;
  }

  @Authorized(Role.USER)
  @Subscription(() => Message, {
    description:
      "Messages of one conversation (or of all the viewer's without conversationId) as they change:\nedited, deleted, reacted to. Each event is the message's new state. With conversationId and\nafterRevision: first every message whose revision is greater, in revision order, then live\nones: no change is missed across a reconnect.",
    subscribe: ({ args, context }: Subscribe<MessageUpdatedArgs>) =>
      context.services.subscriptions.messageUpdates(context.em, viewerUser(context).id, args.conversationId, args.afterRevision),
  })
  messageUpdated(@Root() delivery: DeliveredMessage, @Args(() => MessageUpdatedArgs) _args: MessageUpdatedArgs): Message {
    // `reactedByViewer` is computed per subscriber from the payload's user ids (Message.reactions).
    return delivery.message;
  }

  @Authorized(Role.USER)
  @Subscription(() => ReadReceipt, {
    description: "Read receipts in one conversation, or in all of the viewer's conversations.",
    subscribe: ({ args, context }: Subscribe<OptionalConversationArgs>) =>
      context.services.subscriptions.reads(context.em, viewerUser(context).id, args.conversationId),
  })
  messageRead(@Root() receipt: ReadReceiptPayload, @Args(() => OptionalConversationArgs) _args: OptionalConversationArgs): ReadReceipt {
    return { ...receipt, readAt: new Date(receipt.readAt) };
  }

  @Authorized(Role.USER)
  @Subscription(() => TypingEvent, {
    description: "The other participant's typing in one conversation.",
    subscribe: ({ args, context }: Subscribe<ConversationArgs>) =>
      context.services.subscriptions.typing(context.em, viewerUser(context).id, args.conversationId),
  })
  typing(@Root() event: TypingPayload, @Args(() => ConversationArgs) _args: ConversationArgs): TypingEvent {
    return event;
  }

  @Authorized(Role.USER)
  @Subscription(() => PresenceEvent, {
    description: 'Online/offline changes of the people the viewer shares a conversation with.',
    subscribe: ({ context }: Subscribe<Record<string, never>>) => context.services.subscriptions.presence(viewerUser(context).id),
  })
  presenceChanged(@Root() event: PresencePayload): PresenceEvent {
    return { ...event, lastSeenAt: event.lastSeenAt ? new Date(event.lastSeenAt) : null };
  }

  @Authorized(Role.USER)
  @Subscription(() => ConversationEvent, {
    description: 'Conversations of the viewer created, updated, archived or unarchived.',
    subscribe: ({ context }: Subscribe<Record<string, never>>) => context.services.subscriptions.conversationEvents(viewerUser(context).id),
  })
  async conversationEvent(@Root() event: ConversationEventPayload, @Ctx() ctx: Context): Promise<ConversationEvent> {
    ctx.em.clear();
    const conversation = await ctx.services.conversations.getForViewer(ctx.em, viewerUser(ctx).id, event.conversationId);
    return { kind: event.kind, conversation };
  }
}
