import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../auth/viewer';
import type { Orm } from '../db/orm';
import { EmSql, type Sql, type Statement } from '../db/sql';
import { badInput } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { messagesSummaryText, type MessageForText } from '../push/notification-text';
import { isWithinQuietHours, quietHoursEnd, type QuietHoursPrefs } from '../push/quiet-hours';
import type { PresenceTracker } from '../realtime/presence';
import { MessageType, NotificationOutcome, NotificationType, PresenceStatus } from '../schema/common/enums';
import type { Message } from '../schema/message/message.entity';
import type { ConversationService } from './conversation.service';
import { DELIVER_CONVERSATION_PUSH, DELIVER_HELD_NOTIFICATION, type JobQueue } from './job-queue';
import type { DeliverySummary, NotificationDraft, PushDeliveryService } from './push-delivery.service';
import { PushDecisionQueue } from './push-decision-queue';
import type { Row } from './rows';
import { stripControlCharacters } from '../plain-text';

/** notifyUser's input, as the resolver hands it over. */
export interface NotifyUserInput {
  userId: string;
  type: NotificationType;
  title: string;
  body: string;
  data?: Record<string, unknown> | null;
}

/** What happened to a new message as far as push is concerned (also the metric's outcome). */
export type MessagePushDecision = 'none' | 'online' | 'suppressed' | 'no_device' | 'batched' | 'deferred';

/** What one run of a delivery job did. */
export type DeliveryOutcome =
  | 'nothing' // no batch open, or the notification is already done
  | 'not_due' // an early run: the job of the current due time will do it
  | 'deferred' // quiet hours: rescheduled to their end
  | 'suppressed' // preferences turned off meanwhile
  | 'online' // the recipient is connected now and sees the messages in the app
  | 'read' // everything was read in between: nothing to say
  | 'no_device'
  | 'sent'
  | 'failed';

export interface NotificationServiceOptions {
  orm: Orm;
  /** The hot-path pool: the decision for every new message reads the recipient through it. */
  sql: Sql;
  presence: PresenceTracker;
  jobs: JobQueue;
  delivery: PushDeliveryService;
  conversations: ConversationService;
  metrics: Metrics;
  logger: Logger;
  /** Messages of one conversation within this window make one notification (PUSH_BATCH_WINDOW_MS). */
  batchWindowMs: number;
  /** How long sent notifications and their delivery records are kept (PUSH_RECORD_RETENTION_DAYS). */
  recordRetentionDays: number;
  /** The clock; tests pass a controllable one. */
  now?: () => Date;
}

/** Preferences, quiet hours and devices of a recipient, read in one statement. */
interface Recipient {
  pushEnabled: boolean;
  flags: Record<NotificationType, boolean>;
  quietHours: QuietHoursPrefs;
  deviceIds: string[];
}

const RECIPIENT: Statement = {
  name: 'push_recipient',
  text: `select p.push_enabled, p.new_message_push, p.new_application_push, p.application_status_push, p.new_review_push,
                p.work_agreement_push, p.quiet_hours_enabled, p.quiet_hours_start, p.quiet_hours_end, p.quiet_hours_timezone,
                array(select d.id::text from push_devices d where d.user_id = u.id order by d.created_at) as device_ids
         from (select $1::uuid as id) u left join notification_preferences p on p.user_id = u.id`,
};

/** A job may run a moment before the instant the service computed: within this, it is due. */
const DUE_TOLERANCE_MS = 1000;
/**
 * A batch or held notification this far past due has lost its job (its process died between
 * saving it and scheduling the job): the next message, or the maintenance job, schedules again.
 */
const LOST_JOB_AFTER_MS = 10 * 60_000;
const TITLE_MAX = 200;
const BODY_MAX = 1000;
const DATA_MAX_BYTES = 2048;
// FCM refuses these data keys; `type` is set by the service itself.
const RESERVED_DATA_KEY = /^(from|notification|message_type|type|google\..*|gcm\..*)$/i;

/**
 * Push notification rules (CONTRACT.md "Notifications"):
 *
 * - A new message pushes only when the recipient is offline on every instance, has push and
 *   newMessagePush on, and has a device. It opens (or joins) a batch of its conversation that is
 *   delivered by a `deliver-conversation-push` job when the window ends, as one notification
 *   ("3 new messages from Ana") replacing the earlier one on the device (collapse key and
 *   thread = conversation id), with the badge = unreadTotal.
 * - Inside quiet hours (the recipient's IANA zone) the batch is held until they end, then sent
 *   as one summary per conversation; if everything was read meanwhile, nothing is sent.
 * - notifyUser does the same for the other types by their preference flag and answers the
 *   outcome. Held ones wait in `push_notifications` for a `deliver-held-notification` job.
 *
 * Batches and held notifications live in PostgreSQL and their jobs in Agenda, so a restart
 * loses none of them; the delivery records make a job run again after a crash send nothing twice.
 */
export class NotificationService {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly now: () => Date;

  /** Decisions wait until the sender's answer is out, and ask presence once per batch. */
  private readonly decisions: PushDecisionQueue<MessagePushDecision>;

  constructor(private readonly options: NotificationServiceOptions) {
    this.now = options.now ?? (() => new Date());
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
  async onMessage(message: Message, participantIds: [string, string], recipientOnline?: boolean): Promise<MessagePushDecision> {
    const senderId = message.sender?.id;
    // System messages come from the marketplace, which notifies with notifyUser when it wants to.
    if (!senderId || message.type === MessageType.SYSTEM) return 'none';
    const userId = participantIds.find((id) => id !== senderId);
    if (!userId) return 'none';
    const decision = await this.decideForMessage(userId, message.conversation.id, message.sequence, recipientOnline);
    this.count(NotificationType.NEW_MESSAGE, decision);
    return decision;
  }

  private async decideForMessage(userId: string, conversationId: string, sequence: number, online?: boolean): Promise<MessagePushDecision> {
    if (online ?? (await this.isOnline(userId))) return 'online';
    const recipient = await this.recipient(this.options.sql, userId);
    if (!recipient.pushEnabled || !recipient.flags.NEW_MESSAGE) return 'suppressed';
    if (recipient.deviceIds.length === 0) return 'no_device';
    const em = this.fork();
    const now = this.now();
    const quietEnd = this.quietUntil(recipient.quietHours, now, userId);
    const dueAt = quietEnd ?? new Date(now.getTime() + this.options.batchWindowMs);
    const opened = await em.transactional((tx) => this.openOrJoinBatch(tx as EntityManager, userId, conversationId, sequence, dueAt, now));
    if (opened) await this.options.jobs.schedule(DELIVER_CONVERSATION_PUSH, dueAt, { userId, conversationId });
    return quietEnd ? 'deferred' : 'batched';
  }

  /**
   * Opens the conversation's batch for the recipient (true: schedule its job) unless one is
   * open, which the message joins. The row lock makes concurrent messages, on any instance,
   * open one batch; a message whose decision came late still counts (the least batch_from).
   * A batch overdue by LOST_JOB_AFTER_MS lost its job and is opened again.
   */
  private async openOrJoinBatch(tx: EntityManager, userId: string, conversationId: string, sequence: number, dueAt: Date, now: Date): Promise<boolean> {
    const inserted: Row[] = await tx.execute(
      `insert into push_conversation_state (user_id, conversation_id, batch_from, due_at) values (?, ?, ?, ?)
       on conflict (user_id, conversation_id) do nothing returning due_at`,
      [userId, conversationId, sequence, dueAt],
    );
    if (inserted.length > 0) return true;
    const [state]: Row[] = await tx.execute(
      `select batch_from, due_at from push_conversation_state where user_id = ? and conversation_id = ? for update`,
      [userId, conversationId],
    );
    const open = state.due_at !== null && new Date(state.due_at as string).getTime() >= now.getTime() - LOST_JOB_AFTER_MS;
    if (open && state.batch_from !== null && Number(state.batch_from) <= sequence) return false;
    await tx.execute(`update push_conversation_state set batch_from = ?, due_at = ? where user_id = ? and conversation_id = ?`, [
      open ? Math.min(Number(state.batch_from ?? sequence), sequence) : sequence,
      open ? state.due_at : dueAt,
      userId,
      conversationId,
    ]);
    return !open;
  }

  /**
   * The `deliver-conversation-push` job: sends the batch of one recipient and conversation if
   * it is due, as one notification for every unread message it holds. Idempotent.
   */
  async deliverConversation(userId: string, conversationId: string): Promise<DeliveryOutcome> {
    const { delivery } = this.options;
    // A run that died between composing and sending left deliveries pending: send them first.
    for (const pending of await delivery.pendingNotifications(userId, conversationId)) await delivery.send(pending);
    const now = this.now();
    const step = await this.fork().transactional((tx) => this.composeConversation(tx as EntityManager, userId, conversationId, now));
    if (step.rescheduleAt) await this.options.jobs.schedule(DELIVER_CONVERSATION_PUSH, step.rescheduleAt, { userId, conversationId });
    const outcome = step.notificationId ? sendOutcome(await delivery.send(step.notificationId)) : step.outcome;
    if (outcome !== 'nothing' && outcome !== 'not_due') this.count(NotificationType.NEW_MESSAGE, outcome);
    return outcome;
  }

  private async composeConversation(
    tx: EntityManager,
    userId: string,
    conversationId: string,
    now: Date,
  ): Promise<{ outcome: DeliveryOutcome; notificationId?: string; rescheduleAt?: Date }> {
    const [state]: Row[] = await tx.execute(
      `select pushed_up_to, batch_from, due_at from push_conversation_state where user_id = ? and conversation_id = ? for update`,
      [userId, conversationId],
    );
    if (!state || state.due_at === null) return { outcome: 'nothing' };
    if (new Date(state.due_at as string).getTime() > now.getTime() + DUE_TOLERANCE_MS) return { outcome: 'not_due' };
    const close = (upTo: number) =>
      tx.execute(
        `update push_conversation_state set due_at = null, batch_from = null, pushed_up_to = greatest(pushed_up_to, ?)
         where user_id = ? and conversation_id = ?`,
        [upTo, userId, conversationId],
      );
    const recipient = await this.recipient(new EmSql(tx), userId);
    if (!recipient.pushEnabled || !recipient.flags.NEW_MESSAGE) return close(0).then(() => ({ outcome: 'suppressed' }));
    const quietEnd = this.quietUntil(recipient.quietHours, now, userId);
    if (quietEnd) {
      await tx.execute(`update push_conversation_state set due_at = ? where user_id = ? and conversation_id = ?`, [quietEnd, userId, conversationId]);
      return { outcome: 'deferred', rescheduleAt: quietEnd };
    }
    // The unread messages of the other participant in this batch: their count and the latest.
    const [latest]: Row[] = await tx.execute(
      `select m.id, m.sequence, m.type, m.content, u.display_name, count(*) over () as total
       from messages m left join users u on u.id = m.sender_id
       where m.conversation_id = ? and m.sender_id is not null and m.sender_id <> ? and m.read_at is null
         and m.sequence > ? and m.sequence >= coalesce(?::int, 0)
       order by m.sequence desc limit 1`,
      [conversationId, userId, state.pushed_up_to, state.batch_from],
    );
    if (!latest) return close(0).then(() => ({ outcome: 'read' }));
    const upTo = Number(latest.sequence);
    if (await this.isOnline(userId)) return close(upTo).then(() => ({ outcome: 'online' }));
    if (recipient.deviceIds.length === 0) return close(upTo).then(() => ({ outcome: 'no_device' }));
    const forText: MessageForText = {
      senderName: latest.display_name as string | null,
      type: latest.type as MessageForText['type'],
      content: latest.content as string | null,
    };
    const count = Number(latest.total);
    const text = messagesSummaryText(Array.from({ length: count }, () => forText));
    const draft: NotificationDraft = {
      eventKey: `message:${userId}:${conversationId}:${upTo}`,
      userId,
      conversationId,
      type: NotificationType.NEW_MESSAGE,
      title: text.title,
      body: text.body,
      data: { type: NotificationType.NEW_MESSAGE, conversationId, messageId: String(latest.id), count: String(count) },
      collapseKey: conversationId,
      threadId: conversationId,
      badge: await this.options.conversations.unreadTotal(tx, userId),
    };
    const notificationId = await this.options.delivery.compose(tx, draft, recipient.deviceIds);
    await close(upTo);
    return { outcome: 'sent', notificationId };
  }

  /**
   * notifyUser (service role): applies the recipient's preferences for `type`, then sends now,
   * holds until quiet hours end, or drops. NEW_MESSAGE also needs the recipient offline (the
   * app shows messages live); the other types have no in-app channel here and push regardless.
   */
  async notifyUser(em: EntityManager, input: NotifyUserInput): Promise<NotificationOutcome> {
    const { title, body, data } = checkNotifyInput(input);
    const userId = input.userId.toLowerCase();
    const type = input.type;
    const recipient = await this.recipient(new EmSql(em), userId);
    const answer = (outcome: NotificationOutcome) => {
      this.count(type, outcome.toLowerCase());
      return outcome;
    };
    if (!recipient.pushEnabled || !recipient.flags[type]) return answer(NotificationOutcome.SUPPRESSED);
    if (recipient.deviceIds.length === 0) return answer(NotificationOutcome.NO_DEVICE);
    if (type === NotificationType.NEW_MESSAGE && (await this.isOnline(userId))) return answer(NotificationOutcome.SUPPRESSED);
    const key = randomUUID();
    const draft: NotificationDraft = {
      eventKey: `notify:${key}`,
      userId,
      conversationId: null,
      type,
      title,
      body,
      data: { ...data, type },
      collapseKey: `notification:${key}`,
      threadId: type,
      badge: null,
    };
    const now = this.now();
    const quietEnd = this.quietUntil(recipient.quietHours, now, userId);
    if (quietEnd) {
      const notificationId = await this.options.delivery.hold(em, draft, quietEnd);
      await this.options.jobs.schedule(DELIVER_HELD_NOTIFICATION, quietEnd, { notificationId });
      return answer(NotificationOutcome.DEFERRED);
    }
    const notificationId = await em.transactional(async (tx) => {
      const badge = await this.options.conversations.unreadTotal(tx as EntityManager, userId);
      return this.options.delivery.compose(tx as EntityManager, { ...draft, badge }, recipient.deviceIds);
    });
    const summary = await this.options.delivery.send(notificationId);
    if (summary.sent > 0) return answer(NotificationOutcome.SENT);
    // Every token turned out unregistered (and is gone now): the recipient has no device.
    if (summary.failed === 0) return answer(NotificationOutcome.NO_DEVICE);
    this.count(type, 'failed');
    // Nothing reached any device, so the caller may simply try again later.
    throw new Error('the push provider accepted the notification for no device');
  }

  /** The `deliver-held-notification` job: sends a notifyUser notification held by quiet hours. */
  async deliverHeld(notificationId: string): Promise<DeliveryOutcome> {
    const now = this.now();
    const step = await this.fork().transactional((tx) => this.releaseHeld(tx as EntityManager, notificationId, now));
    if (step.rescheduleAt) await this.options.jobs.schedule(DELIVER_HELD_NOTIFICATION, step.rescheduleAt, { notificationId });
    const outcome = step.send ? sendOutcome(await this.options.delivery.send(notificationId)) : step.outcome;
    if (step.type && outcome !== 'nothing' && outcome !== 'not_due') this.count(step.type, outcome);
    return outcome;
  }

  private async releaseHeld(
    tx: EntityManager,
    notificationId: string,
    now: Date,
  ): Promise<{ outcome: DeliveryOutcome; send?: boolean; rescheduleAt?: Date; type?: NotificationType }> {
    const [row]: Row[] = await tx.execute(`select user_id, type, state, due_at from push_notifications where id = ? for update`, [notificationId]);
    if (!row) return { outcome: 'nothing' };
    // Released by a run that died before sending: its pending deliveries go out now.
    if (row.state === 'ready') return { outcome: 'nothing', send: true };
    if (row.state !== 'held') return { outcome: 'nothing' };
    if (new Date(row.due_at as string).getTime() > now.getTime() + DUE_TOLERANCE_MS) return { outcome: 'not_due' };
    const userId = String(row.user_id);
    const type = row.type as NotificationType;
    const drop = (outcome: DeliveryOutcome) =>
      tx.execute(`update push_notifications set state = 'dropped', due_at = null where id = ?`, [notificationId]).then(() => ({ outcome, type }));
    const recipient = await this.recipient(new EmSql(tx), userId);
    if (!recipient.pushEnabled || !recipient.flags[type]) return drop('suppressed');
    const quietEnd = this.quietUntil(recipient.quietHours, now, userId);
    if (quietEnd) {
      await tx.execute(`update push_notifications set due_at = ? where id = ?`, [quietEnd, notificationId]);
      return { outcome: 'deferred', rescheduleAt: quietEnd, type };
    }
    if (recipient.deviceIds.length === 0) return drop('no_device');
    if (type === NotificationType.NEW_MESSAGE && (await this.isOnline(userId))) return drop('online');
    const badge = await this.options.conversations.unreadTotal(tx, userId);
    await this.options.delivery.release(tx, notificationId, badge, recipient.deviceIds);
    return { outcome: 'sent', send: true, type };
  }

  /**
   * The `push-maintenance` job: schedules again the batches and held notifications whose job
   * was lost (overdue by LOST_JOB_AFTER_MS), sends deliveries a dead process left pending, and
   * deletes notification records older than the retention.
   */
  async maintain(): Promise<{ rescheduled: number; resent: number; pruned: number }> {
    const now = this.now();
    const overdue = new Date(now.getTime() - LOST_JOB_AFTER_MS);
    const em = this.fork();
    const batches: Row[] = await em.execute(
      `select user_id, conversation_id from push_conversation_state where due_at < ? limit 1000`,
      [overdue],
    );
    for (const batch of batches) {
      await this.options.jobs.schedule(DELIVER_CONVERSATION_PUSH, now, { userId: String(batch.user_id), conversationId: String(batch.conversation_id) });
    }
    const held: Row[] = await em.execute(`select id from push_notifications where state = 'held' and due_at < ? limit 1000`, [overdue]);
    for (const row of held) await this.options.jobs.schedule(DELIVER_HELD_NOTIFICATION, now, { notificationId: String(row.id) });
    const stale = await this.options.delivery.stalePendingNotifications(overdue);
    for (const notificationId of stale) await this.options.delivery.send(notificationId);
    const pruned = await this.options.delivery.prune(new Date(now.getTime() - this.options.recordRetentionDays * 86_400_000));
    return { rescheduled: batches.length + held.length, resent: stale.length, pruned };
  }

  private async recipient(sql: Sql, userId: string): Promise<Recipient> {
    const [row] = await sql.query<Row>(RECIPIENT, [userId]);
    // No row: the contract's defaults (everything on, quiet hours off).
    const on = (column: string) => row[column] !== false;
    const workAgreement = on('work_agreement_push');
    return {
      pushEnabled: on('push_enabled'),
      flags: {
        NEW_MESSAGE: on('new_message_push'),
        NEW_APPLICATION: on('new_application_push'),
        APPLICATION_STATUS_CHANGE: on('application_status_push'),
        NEW_REVIEW: on('new_review_push'),
        WORK_AGREEMENT_CONFIRMATION: workAgreement,
        WORK_AGREEMENT_ENDING: workAgreement,
      },
      quietHours: {
        enabled: row.quiet_hours_enabled === true,
        start: (row.quiet_hours_start as string | null) ?? '22:00',
        end: (row.quiet_hours_end as string | null) ?? '08:00',
        timezone: (row.quiet_hours_timezone as string | null) ?? 'UTC',
      },
      deviceIds: (row.device_ids as string[] | null) ?? [],
    };
  }

  /** When the quiet hours that contain `now` end, or null outside them. */
  private quietUntil(prefs: QuietHoursPrefs, now: Date, userId: string): Date | null {
    try {
      return isWithinQuietHours(prefs, now) ? quietHoursEnd(prefs, now) : null;
    } catch (error) {
      // Stored before today's stricter checks (e.g. a fixed offset as zone): never hold.
      this.options.logger.warn({ err: error, userId }, 'unusable quiet hours ignored');
      return null;
    }
  }

  private async isOnline(userId: string): Promise<boolean> {
    const [status] = await this.options.presence.statusOf([userId]);
    return status === PresenceStatus.ONLINE;
  }

  private count(type: NotificationType, outcome: string): void {
    this.options.metrics.pushNotifications.inc({ type, outcome });
  }

  private fork(): EntityManager {
    return this.options.orm.em.fork() as EntityManager;
  }
}

function sendOutcome(summary: DeliverySummary): DeliveryOutcome {
  if (summary.sent > 0) return 'sent';
  if (summary.failed === 0 && summary.invalidTokens > 0) return 'no_device';
  return summary.failed > 0 ? 'failed' : 'nothing';
}

/** Validates notifyUser's text and turns `data` into FCM's string values. */
function checkNotifyInput(input: NotifyUserInput): { title: string; body: string; data: Record<string, string> } {
  if (!isUuid(input.userId)) throw badInput('userId must be a user id (UUID)', 'userId');
  const title = stripControlCharacters(input.title).trim();
  if (title.length < 1 || title.length > TITLE_MAX) throw badInput(`title must be 1 to ${TITLE_MAX} characters`, 'title');
  // eslint-disable-next-line no-control-regex
  const body = input.body.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '').trim();
  if (body.length < 1 || body.length > BODY_MAX) throw badInput(`body must be 1 to ${BODY_MAX} characters`, 'body');
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.data ?? {})) {
    if (RESERVED_DATA_KEY.test(key)) throw badInput(`data key "${key}" is reserved`, 'data');
    if (value === null || value === undefined) continue;
    data[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (Buffer.byteLength(JSON.stringify(data)) > DATA_MAX_BYTES) throw badInput(`data must be at most ${DATA_MAX_BYTES} bytes`, 'data');
  return { title, body, data };
}
