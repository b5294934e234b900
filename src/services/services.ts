import { ConversationService } from './conversation.service';
import { EventPublisher } from './event-publisher';
import { MessageService } from './message.service';
import { NotificationSettingsService } from './notification-settings.service';
import type { ServiceDeps } from './service-deps';
import { UserService } from './user.service';

/** The behaviour of CONTRACT.md, GraphQL-free; built once per process and shared by resolvers and jobs. */
export function createServices(deps: ServiceDeps) {
  const events = new EventPublisher(deps.pubsub, deps.logger);
  const conversations = new ConversationService(events);
  return {
    deps,
    events,
    users: new UserService(deps),
    conversations,
    messages: new MessageService(conversations, events, deps.rateLimiter, deps.metrics, deps.config.messages.maxLength),
    notificationSettings: new NotificationSettingsService(),
    /** Signs object keys into expiring URLs; set once image storage is configured. */
    imageUrls: null as ((key: string) => Promise<string>) | null,
  };
}

export type Services = ReturnType<typeof createServices>;
