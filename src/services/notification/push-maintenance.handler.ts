/**
 * The `push-maintenance` job's work, the safety net of the push pipeline: schedules again the
 * batches and held notifications whose job was lost, sends deliveries a dead process left
 * pending or `sending` past their lease (once), and deletes notification records older than the retention. Every part is idempotent.
 */
import { DELIVER_CONVERSATION_PUSH, DELIVER_HELD_NOTIFICATION } from '../job-queue';
import type { Row } from '../rows';
import { LOST_JOB_AFTER_MS, overdueBatches } from './push-batches';
import type { PushContext } from './push-context';

export class PushMaintenance {
  /** `recordRetentionDays`: how long sent notifications and their delivery records are kept. */
  constructor(
    private readonly context: PushContext,
    private readonly recordRetentionDays: number,
  ) {}

  async run(): Promise<{ rescheduled: number; resent: number; pruned: number }> {
    const { jobs, delivery } = this.context.options;
    const now = this.context.now();
    const overdue = new Date(now.getTime() - LOST_JOB_AFTER_MS);
    const em = this.context.fork();
    const batches = await overdueBatches(em, overdue);
    for (const batch of batches) await jobs.schedule(DELIVER_CONVERSATION_PUSH, now, batch);
    const held: Row[] = await em.execute(`select id from push_notifications where state = 'held' and due_at < ? limit 1000`, [overdue]);
    for (const row of held) await jobs.schedule(DELIVER_HELD_NOTIFICATION, now, { notificationId: String(row.id) });
    const expired = await delivery.expireLeases();
    const stale = [...new Set([...expired, ...(await delivery.stalePendingNotifications(overdue))])];
    for (const notificationId of stale) await delivery.send(notificationId);
    const pruned = await delivery.prune(new Date(now.getTime() - this.recordRetentionDays * 86_400_000));
    return { rescheduled: batches.length + held.length, resent: stale.length, pruned };
  }
}
