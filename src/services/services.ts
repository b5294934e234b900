import { timedTransport } from '../push/create-push-transport';
import { AutoArchiveService } from './auto-archive.service';
import { BlockService } from './blocks/block.service';
import { ReportService } from './reports/report.service';
import { ErasureService } from './privacy/erasure.service';
import { ExportService } from './privacy/export.service';
import { ConversationService } from './conversation.service';
import { EventPublisher } from './event-publisher';
import { ImageExpiryService } from './image-expiry.service';
import { ImageMessageService } from './image-message.service';
import { ImageStorageService } from './image-storage.service';
import { MessageAnnouncer } from './message-announcer';
import { MessageChangeStore } from './message-change-store';
import { MessageChangeService } from './message-changes.service';
import { MessageStore } from './message-store';
import { MessageService } from './message.service';
import { SearchService } from './search.service';
import { SendPipeline } from './send-pipeline';
import { NotificationSettingsService } from './notification-settings.service';
import { NotificationService } from './notification.service';
import { PushDeliveryService } from './push-delivery.service';
import type { ServiceDeps } from './service-deps';
import { SubscriptionService } from './subscription.service';
import { TypingService } from './typing.service';
import { UserService } from './user.service';
import { WebhookService } from '../webhooks/webhook.service';
import { EmailDigestService } from '../email/email-digest.service';
import { createMailer } from '../email/mailer';
import { UnsubscribeService } from '../email/unsubscribe.service';
import { UnsubscribeTokens } from '../email/unsubscribe-token';

/** The behaviour of CONTRACT.md, GraphQL-free; built once per process and shared by resolvers and jobs. */
export function createServices(deps: ServiceDeps) {
  const events = new EventPublisher({ pubsub: deps.pubsub, logger: deps.logger, outbox: deps.outbox });
  const conversations = new ConversationService(events, deps.operationLimits, deps.reads);
  const imageStorage = new ImageStorageService({
    storage: deps.storage,
    urlTtlSeconds: deps.config.images.urlTtlSeconds,
    metrics: deps.metrics,
    logger: deps.logger,
  });
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
    holdAfterCommitMs: deps.config.testHooks.holdAfterCommitMs,
  });
  const store = new MessageStore(deps.config.outbox.leaseMs);
  const changeStore = new MessageChangeStore();
  const pipeline = new SendPipeline({ sql: deps.sql, store, rateLimiter: deps.rateLimiter, announcer, changes: changeStore, events, outbox: deps.outbox });
  const messages = new MessageService({
    conversations,
    events,
    pipeline,
    store,
    announcer,
    sql: deps.sql,
    reads: deps.reads,
    metrics: deps.metrics,
    outboxLeaseMs: deps.config.outbox.leaseMs,
    maxLength: deps.config.messages.maxLength,
    contactInfoPolicy: deps.config.messages.contactInfoPolicy,
  });
  const blocks = new BlockService(events);
  const users = new UserService(deps);
  const imageMessages = new ImageMessageService({
    pipeline,
    imageStorage,
    metrics: deps.metrics,
    logger: deps.logger,
    settings: {
      maxBytes: deps.config.limits.maxUploadBytes,
      maxCaptionLength: deps.config.messages.maxLength,
      retentionDays: deps.config.images.retentionDays,
      contactInfoPolicy: deps.config.messages.contactInfoPolicy,
    },
  });
  const unsubscribeTokens = new UnsubscribeTokens(deps.sql);
  return {
    deps,
    events,
    /** Publishes committed messages and takes their push decisions (the outbox relay uses it too). */
    announcer,
    users,
    /** blockUser, unblockUser, blockedUsers; the checks themselves: blocks/assert-not-blocked.ts. */
    blocks,
    /** reportMessage, reportUser, the moderation queue and resolveReport. */
    reports: new ReportService(blocks, deps.metrics),
    /** exportUserData: one JSON document behind a 24-hour signed URL. */
    exports: new ExportService({ storage: deps.storage, jobs: deps.jobQueue, logger: deps.logger, inlineMaxMessages: deps.config.messages.exportInlineMaxMessages }),
    /** eraseUser: one transaction, then storage deletes retried by delete-pending-objects. */
    erasure: new ErasureService({ storage: deps.storage, logger: deps.logger, forgetUser: (id) => users.forget(id) }),
    conversations,
    messages,
    notificationSettings: new NotificationSettingsService(deps.config.abuse.maxDevicesPerUser),
    /** The realtime streams (subscriptions), access-checked when they start. */
    subscriptions: new SubscriptionService(deps, conversations),
    /** setTyping: throttled, expiring by itself; `close()` on shutdown. */
    typing: new TypingService({
      conversations,
      sql: deps.sql,
      pubsub: deps.pubsub,
      logger: deps.logger,
      timings: { timeoutMs: deps.config.realtime.typingTimeoutMs, throttleMs: deps.config.realtime.typingThrottleMs },
    }),
    /** Image objects: stores renditions, signs fresh expiring URLs, reports storage health. */
    imageStorage,
    imageMessages,
    /** searchMessages: full-text search over the viewer's conversations. */
    search: new SearchService(deps.sql, conversations, deps.reads),
    /** editMessage, deleteMessage, addReaction, removeReaction: the send pipeline's `change`. */
    messageChanges: new MessageChangeService({
      pipeline,
      store: changeStore,
      imageStorage,
      editWindowMinutes: deps.config.messages.editWindowMinutes,
      checkContent: (raw) => messages.checkContent(raw, 'content'),
      checkCaption: (raw) => imageMessages.checkCaption(raw),
      contactInfoPolicy: deps.config.messages.contactInfoPolicy,
    }),
    imageExpiry: new ImageExpiryService({ imageStorage, metrics: deps.metrics, logger: deps.logger }),
    /** Push rules: batches, quiet hours, notifyUser; `close()` on shutdown. */
    notifications,
    /** The work of the push jobs, one handler per job (src/services/notification/). */
    pushJobs: notifications.jobHandlers,
    /** Auto-archive of idle conversations (the archive-idle-conversations job). */
    autoArchive: new AutoArchiveService({ events, metrics: deps.metrics, logger: deps.logger, outboxLeaseMs: deps.config.outbox.leaseMs }),
    /** Webhooks: registration and delivery (src/webhooks/). */
    webhooks: new WebhookService({ sql: deps.sql, logger: deps.logger, metrics: deps.metrics, ...deps.config.webhooks }),
    /** Email digests of unread messages (the send-email-digests job; src/email/). */
    emailDigests: new EmailDigestService({
      orm: deps.orm,
      mailer: createMailer(deps.config.email, deps.logger),
      tokens: unsubscribeTokens,
      config: deps.config.email,
      logger: deps.logger,
    }),
    /** The one-click unsubscribe of the digests' links. */
    unsubscribe: new UnsubscribeService(deps.sql, unsubscribeTokens),
  };
}

export type Services = ReturnType<typeof createServices>;
