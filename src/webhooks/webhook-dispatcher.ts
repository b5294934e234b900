import type { Sql, Statement } from '../db/sql';
import type { Logger } from '../observability/logger';
import { DELIVER_WEBHOOK, type JobQueue } from '../services/job-queue';

// Webhooks whose oldest pending event is due and that no job holds: leased to the job queued now.
const TAKE_DUE: Statement = {
  name: 'webhook_take_due',
  text: `with heads as (
           select distinct on (webhook_id) webhook_id, next_attempt_at
           from webhook_deliveries where status = 'pending' order by webhook_id, occurred_at, id
         )
         update webhooks w set dispatch_until = clock_timestamp() + make_interval(secs => $1)
         from heads h
         where h.webhook_id = w.id and h.next_attempt_at <= clock_timestamp()
           and (w.dispatch_until is null or w.dispatch_until < clock_timestamp())
         returning w.id`,
};
const OLDEST_PENDING: Statement = {
  name: 'webhook_oldest_pending',
  text: `select coalesce(extract(epoch from clock_timestamp() - min(occurred_at)), 0) as age from webhook_deliveries where status = 'pending'`,
};

/**
 * Queues a `deliver-webhook` Agenda job for each webhook with a due event, one at a time per
 * webhook (the `dispatch_until` lease). Events are written by SQL statements and triggers that
 * cannot schedule a job themselves, so this small poll (an index read every second) finds them:
 * the first attempt starts within about a second of the commit. It runs where jobs run.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly jobs: JobQueue,
    private readonly logger: Logger,
    private readonly pollMs = 1000,
  ) {}

  start(): void {
    const tick = () => {
      this.polling = this.poll()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'webhook dispatch failed'))
        .finally(() => {
          this.polling = null;
          if (this.timer) this.timer = setTimeout(tick, this.pollMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.pollMs).unref();
  }

  /** Queues the due webhooks' jobs; answers how many. */
  async poll(): Promise<number> {
    const rows = await this.sql.query(TAKE_DUE, [60]);
    // A job that fails to be queued leaves its lease to run out: the webhook is taken again then.
    for (const row of rows) await this.jobs.schedule(DELIVER_WEBHOOK, new Date(), { webhookId: String(row.id) });
    return rows.length;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }
}

/** Seconds since the oldest event still waiting for a successful attempt (0 when none). */
export async function oldestPendingWebhookAgeSeconds(sql: Sql): Promise<number> {
  const [row] = await sql.query(OLDEST_PENDING, []);
  return Number(row?.age ?? 0);
}
