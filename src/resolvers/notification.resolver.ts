import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { NotificationPreferences } from '../schema/notification/notification-preferences.entity';
import { RegisterPushDeviceInput, UpdateNotificationPreferencesInput } from '../schema/notification/notification.inputs';
import { NotificationResult, NotifyUserInput } from '../schema/notification/notify-user.types';
import { PushDevice } from '../schema/notification/push-device.entity';
import { Role, viewerUser } from './auth-checker';

@Resolver()
export class NotificationResolver {
  @Authorized(Role.USER)
  @Query(() => NotificationPreferences)
  notificationPreferences(@Ctx() ctx: Context): Promise<NotificationPreferences> {
    return ctx.services.notificationSettings.preferences(ctx.em, viewerUser(ctx).id);
  }

  @Authorized(Role.USER)
  @Query(() => [PushDevice])
  pushDevices(@Ctx() ctx: Context): Promise<PushDevice[]> {
    return ctx.services.notificationSettings.devices(ctx.em, viewerUser(ctx).id);
  }

  @Authorized(Role.USER)
  @Mutation(() => NotificationPreferences)
  updateNotificationPreferences(
    @Arg('input', () => UpdateNotificationPreferencesInput) input: UpdateNotificationPreferencesInput,
    @Ctx() ctx: Context,
  ): Promise<NotificationPreferences> {
    return ctx.services.notificationSettings.update(ctx.em, viewerUser(ctx).id, input);
  }

  @Authorized(Role.USER)
  @Mutation(() => PushDevice)
  registerPushDevice(@Arg('input', () => RegisterPushDeviceInput) input: RegisterPushDeviceInput, @Ctx() ctx: Context): Promise<PushDevice> {
    return ctx.services.notificationSettings.registerDevice(ctx.em, viewerUser(ctx).id, input.token, input.platform);
  }

  @Authorized(Role.USER)
  @Mutation(() => Boolean)
  unregisterPushDevice(@Arg('token', () => String) token: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.notificationSettings.unregisterDevice(ctx.em, viewerUser(ctx).id, token);
  }

  @Authorized(Role.SERVICE)
  @Mutation(() => NotificationResult, { description: 'Service role only.' })
  async notifyUser(@Arg('input', () => NotifyUserInput) input: NotifyUserInput, @Ctx() ctx: Context): Promise<NotificationResult> {
    return { outcome: await ctx.services.notifications.notifyUser(ctx.em, input) };
  }
}
