import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { User } from '../schema/user/user.entity';
import { Role, viewerUser } from './auth-checker';

@Resolver()
export class BlockResolver {
  @Authorized(Role.USER)
  @Query(() => [User], { description: 'The users the viewer blocks.' })
  blockedUsers(@Ctx() ctx: Context): Promise<User[]> {
    return ctx.services.blocks.blockedBy(ctx.em, viewerUser(ctx).id);
  }

  @Authorized(Role.USER)
  @Mutation(() => User, { description: 'Idempotent. Answers the blocked user.' })
  blockUser(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.blocks.block(ctx.em, viewerUser(ctx).id, userId);
  }

  @Authorized(Role.USER)
  @Mutation(() => User)
  unblockUser(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.blocks.unblock(ctx.em, viewerUser(ctx).id, userId);
  }
}
