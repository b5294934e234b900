import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { notFound } from '../errors';
import { PresenceStatus } from '../schema/common/enums';
import { Presence } from '../schema/user/presence.type';
import { User } from '../schema/user/user.entity';
import { UpsertUserInput } from '../schema/user/user.input';
import { Role, viewerUser } from './auth-checker';

@Resolver(() => User)
export class UserResolver {
  @Authorized(Role.USER)
  @Query(() => User)
  async me(@Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.user.load(viewerUser(ctx).id);
    if (!user) throw notFound('User');
    return user;
  }

  @Authorized(Role.SERVICE)
  @Mutation(() => User, { description: 'Service role only.' })
  async upsertUser(@Arg('input', () => UpsertUserInput) input: UpsertUserInput, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.upsert(ctx.em, input);
  }

  @FieldResolver(() => Presence)
  async presence(@Root() user: User, @Ctx() ctx: Context): Promise<Presence> {
    // A blocked pair sees each other as OFFLINE, never since when.
    if (ctx.viewer?.kind === 'user' && user.id !== ctx.viewer.id && (await ctx.loaders.blockRelation.load(user.id)).isBlocked) {
      return { status: PresenceStatus.OFFLINE, lastSeenAt: null };
    }
    const status = await ctx.loaders.presence.load(user.id);
    return { status, lastSeenAt: status === PresenceStatus.OFFLINE ? user.lastSeenAt : null };
  }
}
