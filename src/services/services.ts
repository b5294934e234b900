import { timedTransport } from '../push/create-push-transport';
import { AutoArchiveService } from './auto-archive.service';
import { ConversationService } from './conversation.service';
import { EventPublisher } from './event-publisher';
import { ImageExpiryService } from './image-expiry.service';
import { ImageMessageService } from './image-message.service';
import { ImageStorageService } from './image-storage.service';
import { MessageAnnouncer } from './message-announcer';
import { MessageStore } from './message-store';
import { MessageService } from './message.service';
import { SendPipeline } from './send-pipeline';
import { NotificationSettingsService } from './notification-settings.service';
import { NotificationService } from './notification.service';
import { PushDeliveryService } from './push-delivery.service';
import type { ServiceDeps } from './service-deps';
import { SubscriptionService } from './subscription.service';
import { TypingService } from './typing.service';
import { UserService } from './user.service';

/** The behaviour of CONTRACT.md, GraphQL-free; built once per process and shared by resolvers and jobs. */
export function createServices(deps: ServiceDeps) {
  const events = new EventPublisher(deps.pubsub, deps.logger, deps.outbox);
  const conversations = new ConversationService(events);
  const imageStorage = new ImageStorageService(deps.storage, deps.config.images.urlTtlSeconds, deps.metrics, deps.logger);
  const notifications = new NotificationService({
    orm: deps.orm,
    sql: deps.sql,
    presence: deps.presence,
    jobs: deps.jobQueue,
    delivery: new PushDeliveryService({
      orm: deps.orm,
      transport: timedTransport(deps.push, deps.metrics),
      metrics: deps.metrics,
      logger: deps.logger,
      retry: { maxAttempts: deps.config.push.maxAttempts, baseDelayMs: deps.config.push.retryBaseDelayMs },
    }),
    conversations,
    metrics: deps.metrics,
    logger: deps.logger,
    batchWindowMs: deps.config.push.batchWindowMs,
    recordRetentionDays: deps.config.push.recordRetentionDays,
  });
  // Durable first, then published, then (for an offline recipient) a push: message-announcer.ts.
  const announcer = new MessageAnnouncer({
    events,
    outbox: deps.outbox,
    metrics: deps.metrics,
    decidePush: (message, participantIds) => notifications.messageStored(message, participantIds),
    crashAfterCommit: deps.config.testHooks.crashAfterCommit,
  });
  const store = new MessageStore(deps.config.outbox.leaseMs);
  const pipeline = new SendPipeline({ sql: deps.sql, store, rateLimiter: deps.rateLimiter, announcer });
  const messages = new MessageService({
    conversations,
    events,
    pipeline,
    store,
    announcer,
    sql: deps.sql,
    metrics: deps.metrics,
    outboxLeaseMs: deps.config.outbox.leaseMs,
    maxLength: deps.config.messages.maxLength,
  });
  return {
    deps,
    events,
    /** Publishes committed messages and takes their push decisions (the outbox relay uses it too). */
    announcer,
    users: new UserService(deps),
    conversations,
    messages,
    notificationSettings: new NotificationSettingsService(),
    /** The realtime streams (subscriptions), access-checked when they start. */
    subscriptions: new SubscriptionService(deps, conversations),
    /** setTyping: throttled, expiring by itself; `close()` on shutdown. */
    typing: new TypingService(conversations, deps.pubsub, deps.logger, {
      timeoutMs: deps.config.realtime.typingTimeoutMs,
      throttleMs: deps.config.realtime.typingThrottleMs,
    }),
    /** Image objects: stores renditions, signs fresh expiring URLs, reports storage health. */
    imageStorage,
    imageMessages: new ImageMessageService({
      pipeline,
      imageStorage,
      metrics: deps.metrics,
      logger: deps.logger,
      settings: {
        maxBytes: deps.config.limits.maxUploadBytes,
        maxCaptionLength: deps.config.messages.maxLength,
        retentionDays: deps.config.images.retentionDays,
      },
    }),
    imageExpiry: new ImageExpiryService(imageStorage, deps.metrics, deps.logger),
    /** Push rules: batches, quiet hours, notifyUser; `close()` on shutdown. */
    notifications,
    /** The work of the push jobs, one handler per job (src/services/notification/). */
    pushJobs: notifications.jobHandlers,
    /** Auto-archive of idle conversations (the archive-idle-conversations job). */
    autoArchive: new AutoArchiveService(events, deps.metrics, deps.logger, deps.config.outbox.leaseMs),
  };
}

export type Services = ReturnType<typeof createServices>;
