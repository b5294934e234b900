import { registerEnumType } from 'type-graphql';

/** What a webhook can subscribe to (contract.graphql `WebhookEventType`). */
export enum WebhookEventType {
  MESSAGE_SENT = 'MESSAGE_SENT',
  MESSAGE_UPDATED = 'MESSAGE_UPDATED',
  MESSAGE_READ = 'MESSAGE_READ',
  CONVERSATION_CREATED = 'CONVERSATION_CREATED',
  CONVERSATION_ARCHIVED = 'CONVERSATION_ARCHIVED',
  USER_BLOCKED = 'USER_BLOCKED',
  REPORT_CREATED = 'REPORT_CREATED',
}

registerEnumType(WebhookEventType, { name: 'WebhookEventType' });
