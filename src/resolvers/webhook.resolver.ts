import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { CreateWebhookInput } from '../schema/webhook/create-webhook.input';
import { Webhook } from '../schema/webhook/webhook.type';
import { Role } from './auth-checker';

@Resolver(() => Webhook)
export class WebhookResolver {
  @Authorized(Role.SERVICE)
  @Query(() => [Webhook], { description: 'Service role only.' })
  webhooks(@Ctx() ctx: Context): Promise<Webhook[]> {
    return ctx.services.webhooks.list();
  }

  @Authorized(Role.SERVICE)
  @Mutation(() => Webhook, { description: 'Service role only.' })
  createWebhook(@Arg('input', () => CreateWebhookInput) input: CreateWebhookInput, @Ctx() ctx: Context): Promise<Webhook> {
    return ctx.services.webhooks.create(input.url, input.events);
  }

  @Authorized(Role.SERVICE)
  @Mutation(() => Boolean, { description: 'Service role only.' })
  deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.webhooks.delete(id);
  }
}
