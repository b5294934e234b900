import { Field, ID, ObjectType } from 'type-graphql';
import { WebhookEventType } from '../../webhooks/webhook-event-type';

@ObjectType()
export class Webhook {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  url: string;

  @Field(() => [WebhookEventType])
  events: WebhookEventType[];

  @Field(() => Date)
  createdAt: Date;

  @Field(() => String, { nullable: true, description: 'The signing secret (whsec_...), answered by createWebhook only; null everywhere else.' })
  secret: string | null;
}
