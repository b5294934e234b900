import { Field, InputType } from 'type-graphql';
import { WebhookEventType } from '../../webhooks/webhook-event-type';

@InputType()
export class CreateWebhookInput {
  @Field(() => String, { description: 'http(s) URL that receives the events as signed POST requests.' })
  url: string;

  @Field(() => [WebhookEventType])
  events: WebhookEventType[];
}
