import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { Role, viewerUser } from './auth-checker';

/** setTyping; the behaviour (throttle, expiry, membership) is TypingService's. */
@Resolver()
export class TypingResolver {
  @Authorized(Role.USER)
  @Mutation(() => Boolean, { description: 'Typing stops by itself a few seconds after the last true.' })
  async setTyping(
    @Arg('conversationId', () => ID) conversationId: string,
    @Arg('isTyping', () => Boolean) isTyping: boolean,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.typing.set(ctx.em, viewerUser(ctx).id, conversationId, isTyping);
    return true;
  }
}
