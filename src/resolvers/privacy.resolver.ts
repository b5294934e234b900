import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { UserDataExport } from '../schema/user/user-data-export.type';
import { Role } from './auth-checker';

/** Personal data (service role): CONTRACT.md "Personal data". */
@Resolver()
export class PrivacyResolver {
  @Authorized(Role.SERVICE)
  @Mutation(() => UserDataExport, { description: 'Service role only.' })
  exportUserData(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<UserDataExport> {
    return ctx.services.exports.export(ctx.em, userId);
  }

  @Authorized(Role.SERVICE)
  @Mutation(() => Boolean, { description: "Service role only. Erases the user's personal data (see CONTRACT.md); true when they existed." })
  eraseUser(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.erasure.erase(ctx.em, ctx.viewer!.id, userId);
  }
}
