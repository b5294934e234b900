/**
 * The `deliver-held-notification` job's work: a notifyUser notification held by quiet hours is
 * released when they end (preferences and presence checked again), or held longer, or dropped.
 * Idempotent: the notification's state and delivery records make a repeated run send nothing twice.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { EmSql } from '../../db/sql';
import type { NotificationType } from '../../schema/common/enums';
import { DELIVER_HELD_NOTIFICATION } from '../job-queue';
import type { HeldNotificationRow } from '../../db/rows/push.rows';
import type { PushContext } from './push-context';
import { decideHeldRelease, dueState } from './push-decision';
import { isCounted, sendOutcome, type DeliveryJobOutcome } from './push-outcome';
import { readRecipient } from './push-recipient';

interface Step {
  outcome: DeliveryJobOutcome;
  send?: boolean;
  rescheduleAt?: Date;
  type?: NotificationType;
}

export class DeliverHeldNotification {
  constructor(private readonly context: PushContext) {}

  /** Sends the held notification `notificationId` if its quiet hours are over. */
  async deliver(notificationId: string): Promise<DeliveryJobOutcome> {
    const now = this.context.now();
    const step = await this.context.fork().transactional((tx) => this.release(tx as EntityManager, notificationId, now));
    if (step.rescheduleAt) await this.context.options.jobs.schedule(DELIVER_HELD_NOTIFICATION, step.rescheduleAt, { notificationId });
    const outcome = step.send ? sendOutcome(await this.context.options.delivery.send(notificationId)) : step.outcome;
    if (step.type && isCounted(outcome)) this.context.count(step.type, outcome);
    return outcome;
  }

  private async release(tx: EntityManager, notificationId: string, now: Date): Promise<Step> {
    const [row]: HeldNotificationRow[] = await tx.execute(`select user_id, type, state, due_at from push_notifications where id = ? for update`, [notificationId]);
    if (!row) return { outcome: 'nothing' };
    // Released by a run that died before sending: its pending deliveries go out now.
    if (row.state === 'ready') return { outcome: 'nothing', send: true };
    if (row.state !== 'held') return { outcome: 'nothing' };
    if (dueState(new Date(row.due_at ?? 0), now) === 'not_due') return { outcome: 'not_due' };
    const userId = row.user_id;
    const type = row.type;
    const facts = { recipient: await readRecipient(new EmSql(tx), userId), type, now };
    const first = decideHeldRelease(facts);
    const decision = first.outcome === 'needs_presence' ? decideHeldRelease({ ...facts, online: await this.context.isOnline(userId) }) : first;
    this.context.noteQuietHours(userId, decision);
    if (decision.outcome === 'deferred') {
      await tx.execute(`update push_notifications set due_at = ? where id = ?`, [decision.until, notificationId]);
      return { outcome: 'deferred', rescheduleAt: decision.until, type };
    }
    if (decision.outcome !== 'sent') {
      await tx.execute(`update push_notifications set state = 'dropped', due_at = null where id = ?`, [notificationId]);
      return { outcome: decision.outcome, type };
    }
    const badge = await this.context.options.conversations.unreadTotal(tx, userId);
    await this.context.options.delivery.release(tx, notificationId, badge, facts.recipient.deviceIds);
    return { outcome: 'sent', send: true, type };
  }
}
