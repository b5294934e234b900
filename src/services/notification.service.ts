import type { EntityManager } from '@mikro-orm/postgresql';
import { MessageType, NotificationType, type NotificationOutcome } from '../schema/common/enums';
import type { Message } from '../schema/message/message.entity';
import { DELIVER_CONVERSATION_PUSH } from './job-queue';
import { DeliverConversationPush } from './notification/deliver-conversation-push.handler';
import { DeliverHeldNotification } from './notification/deliver-held-notification.handler';
import type { NotifyUserInput } from './notification/notify-user-input';
import { NotifyUserService } from './notification/notify-user.service';
import { openOrJoinBatch } from './notification/push-batches';
import { PushContext, type PushContextOptions } from './notification/push-context';
import { decideNewMessage } from './notification/push-decision';
import { PushMaintenance } from './notification/push-maintenance.handler';
import { toNotificationOutcome, type DeliveryJobOutcome, type MessagePushOutcome } from './notification/push-outcome';
import { readRecipient } from './notification/push-recipient';
import { PushDecisionQueue } from './push-decision-queue';

export type { NotifyUserInput } from './notification/notify-user-input';

export interface NotificationServiceOptions extends PushContextOptions {
  /** Messages of one conversation within this window make one notification (PUSH_BATCH_WINDOW_MS). */
  batchWindowMs: number;
  /** How long sent notifications and their delivery records are kept (PUSH_RECORD_RETENTION_DAYS). */
  recordRetentionDays: number;
}

/** The work of the push jobs, one handler per job (src/jobs/ calls these). */
export interface PushJobHandlers {
  deliverConversationPush: DeliverConversationPush;
  deliverHeldNotification: DeliverHeldNotification;
  pushMaintenance: PushMaintenance;
}

/**
 * Push notification rules (CONTRACT.md "Notifications", docs/push-and-jobs.md). This file owns
 * the decision for every new message: `messageStored`, after the sender's answer, through the
 * PushDecisionQueue (presence asked once per batch of messages), opening or joining its
 * conversation's batch. The rules are notification/push-decision.ts; the jobs' work and
 * notifyUser are their own modules in notification/, built here and reachable from here.
 *
 * Batches and held notifications live in PostgreSQL and their jobs in Agenda, so a restart
 * loses none of them; the delivery records make a job run again after a crash send nothing twice.
 */
export class NotificationService {
  readonly jobHandlers: PushJobHandlers;
  private readonly notifications: NotifyUserService;
  private readonly context: PushContext;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Decisions wait until the sender's answer is out, and ask presence once per batch. */
  private readonly decisions: PushDecisionQueue<MessagePushOutcome>;

  constructor(private readonly options: NotificationServiceOptions) {
    this.context = new PushContext(options);
    this.jobHandlers = {
      deliverConversationPush: new DeliverConversationPush(this.context),
      deliverHeldNotification: new DeliverHeldNotification(this.context),
      pushMaintenance: new PushMaintenance(this.context, options.recordRetentionDays),
    };
    this.notifications = new NotifyUserService(this.context);
    this.decisions = new PushDecisionQueue(options.presence, (message, participantIds, online) => this.onMessage(message, participantIds, online));
  }

  /**
   * Called after a message was stored and published. Works in the background (the sender's
   * answer does not wait for it); failures are logged, and the returned promise rejects so
   * that the outbox keeps the message for another try. `idle()` waits for what is running.
   */
  messageStored(message: Message, participantIds: [string, string]): Promise<void> {
    const task = this.decisions.decide(message, participantIds).then(() => undefined);
    const tracked: Promise<unknown> = task
      .catch((error: unknown) => this.options.logger.error({ err: error, messageId: message.id }, 'push decision failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return task;
  }

  /** Resolves when the background work started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Waits for background work on shutdown (before the job queue and the pools close). */
  close(): Promise<void> {
    return this.idle();
  }

  /** The push decision for one new message; opens its conversation's batch when it pushes. */
  async onMessage(message: Message, participantIds: [string, string], recipientOnline?: boolean): Promise<MessagePushOutcome> {
    const senderId = message.sender?.id;
    // System messages come from the marketplace, which notifies with notifyUser when it wants to.
    if (!senderId || message.type === MessageType.SYSTEM) return 'none';
    const userId = participantIds.find((id) => id !== senderId);
    if (!userId) return 'none';
    const decision = await this.decideForMessage(userId, message.conversation.id, message.sequence, recipientOnline);
    this.context.count(NotificationType.NEW_MESSAGE, decision);
    return decision;
  }

  private async decideForMessage(userId: string, conversationId: string, sequence: number, online?: boolean): Promise<MessagePushOutcome> {
    // Presence first: an online recipient costs no read of their preferences.
    if (online ?? (await this.context.isOnline(userId))) return decideNewMessage({ online: true }).outcome;
    const recipient = await readRecipient(this.options.sql, userId);
    const now = this.context.now();
    const decision = decideNewMessage({ online: false, recipient, now, batchWindowMs: this.options.batchWindowMs });
    this.context.noteQuietHours(userId, decision);
    if (decision.outcome !== 'batched' && decision.outcome !== 'deferred') return decision.outcome;
    const { dueAt } = decision;
    const opened = await this.context.fork().transactional((tx) => openOrJoinBatch(tx as EntityManager, userId, conversationId, sequence, dueAt, now));
    if (opened) await this.options.jobs.schedule(DELIVER_CONVERSATION_PUSH, dueAt, { userId, conversationId });
    return decision.outcome;
  }

  /** notifyUser (service role), answered as the contract's enum: see notification/notify-user.service.ts. */
  async notifyUser(em: EntityManager, input: NotifyUserInput): Promise<NotificationOutcome> {
    return toNotificationOutcome(await this.notifications.notify(em, input));
  }

  /** The `deliver-conversation-push` job's work (notification/deliver-conversation-push.handler.ts). */
  deliverConversation(userId: string, conversationId: string): Promise<DeliveryJobOutcome> {
    return this.jobHandlers.deliverConversationPush.deliver(userId, conversationId);
  }

  /** The `deliver-held-notification` job's work (notification/deliver-held-notification.handler.ts). */
  deliverHeld(notificationId: string): Promise<DeliveryJobOutcome> {
    return this.jobHandlers.deliverHeldNotification.deliver(notificationId);
  }

  /** The `push-maintenance` job's work (notification/push-maintenance.handler.ts). */
  maintain(): Promise<{ rescheduled: number; resent: number; pruned: number }> {
    return this.jobHandlers.pushMaintenance.run();
  }
}
