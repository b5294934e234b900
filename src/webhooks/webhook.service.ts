import { randomBytes } from 'node:crypto';
import { Webhook as Signer } from 'standardwebhooks';
import type { Sql, Statement } from '../db/sql';
import { badInput } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { postWebhook, type PostResult } from './webhook-post';
import { nextAttemptAt, type RetryPolicy } from './retry-schedule';
import { checkWebhookUrl, parseHttpUrl, type Resolve, systemResolve } from './url-guard';
import type { WebhookEventType } from './webhook-event-type';

/** A registered webhook as the API shows it; `secret` only right after creation. */
export interface WebhookView {
  id: string;
  url: string;
  events: WebhookEventType[];
  createdAt: Date;
  secret: string | null;
}

export interface WebhookServiceOptions {
  sql: Sql;
  logger: Logger;
  metrics: Metrics;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: loopback and private hosts allowed (development, tests). */
  allowPrivateUrls: boolean;
  retry: RetryPolicy;
  /** An answer must arrive within this (10 s in the contract). */
  timeoutMs: number;
  resolve?: Resolve;
}

const INSERT: Statement = {
  name: 'webhook_insert',
  text: `insert into webhooks (url, events, secret) values ($1, $2::text[], $3) returning id, url, events, created_at, secret`,
};
const LIST: Statement = { name: 'webhook_list', text: `select id, url, events, created_at from webhooks order by created_at, id` };
const DELETE: Statement = { name: 'webhook_delete', text: `delete from webhooks where id = $1 returning id` };
// The lease of the running job is extended before each attempt; no row: the webhook was deleted.
const LEASE: Statement = {
  name: 'webhook_lease',
  text: `update webhooks set dispatch_until = clock_timestamp() + make_interval(secs => $2) where id = $1 returning url, secret`,
};
const RELEASE: Statement = { name: 'webhook_release', text: `update webhooks set dispatch_until = null where id = $1` };
// The oldest pending event of the webhook: events are sent one after another in their order.
const HEAD: Statement = {
  name: 'webhook_head',
  text: `select id, occurred_at, body, attempts, next_attempt_at <= clock_timestamp() as due
         from webhook_deliveries where webhook_id = $1 and status = 'pending' order by occurred_at, id limit 1`,
};
const RECORD_ATTEMPT: Statement = {
  name: 'webhook_record_attempt',
  text: `with attempt as (
           update webhook_deliveries set attempts = attempts + 1, last_status = $2, status = $4,
             next_attempt_at = coalesce($5::timestamptz, next_attempt_at),
             finished_at = case when $4 = 'pending' then null else clock_timestamp() end
           where id = $1 returning id
         )
         insert into webhook_attempts (delivery_id, status_code, outcome, latency_ms) select id, $2, $3, $6 from attempt`,
};
const ATTEMPTS: Statement = {
  name: 'webhook_attempt_log',
  text: `select d.id as delivery_id, d.event_type, a.attempted_at, a.status_code, a.outcome, a.latency_ms
         from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
         where d.webhook_id = $1 order by a.id desc limit $2`,
};

// Finished events (and their attempts, by cascade) are kept this long for the delivery log.
const PRUNE: Statement = {
  name: 'webhook_prune',
  text: `delete from webhook_deliveries where status <> 'pending' and finished_at < now() - make_interval(days => $1) returning id`,
};
const LOG_RETENTION_DAYS = 7;

/** How long one job run may keep a webhook before handing it back to the dispatcher. */
const RUN_BUDGET_MS = 30_000;
const LEASE_SECONDS = 60;

/** One line of the delivery log. */
export interface WebhookAttemptLog {
  deliveryId: string;
  eventType: WebhookEventType;
  attemptedAt: Date;
  statusCode: number | null;
  outcome: string;
  latencyMs: number;
}

/**
 * Webhooks: registration (service role), and the delivery of recorded events. Events are
 * rows of `webhook_deliveries` (written with their change: record-webhook-event.ts and the
 * outbox trigger); a `deliver-webhook` job sends a webhook's due events in their order.
 */
export class WebhookService {
  private readonly resolve: Resolve;

  constructor(private readonly options: WebhookServiceOptions) {
    this.resolve = options.resolve ?? systemResolve;
  }

  async create(url: string, events: WebhookEventType[]): Promise<WebhookView> {
    if (events.length === 0) throw badInput('events must name at least one event type', 'events');
    if (url.length > 2000) throw badInput('url must be at most 2000 characters', 'url');
    const refusal = this.options.allowPrivateUrls ? (parseHttpUrl(url) ? undefined : 'not http(s)') : await checkWebhookUrl(url, this.resolve);
    if (refusal) throw badInput(`url refused: ${refusal}`, 'url');
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const [row] = await this.options.sql.query(INSERT, [url, [...new Set(events)], secret]);
    return { ...toView(row), secret };
  }

  async list(): Promise<WebhookView[]> {
    return (await this.options.sql.query(LIST, [])).map(toView);
  }

  /** Deletes a webhook and its pending events; false for an unknown id. */
  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.options.sql.query(DELETE, [id])).length > 0;
  }

  /** The last `limit` attempts of a webhook, newest first (the delivery log). */
  async attemptLog(webhookId: string, limit = 50): Promise<WebhookAttemptLog[]> {
    const rows = await this.options.sql.query(ATTEMPTS, [webhookId, limit]);
    return rows.map((row) => ({
      deliveryId: String(row.delivery_id),
      eventType: row.event_type as WebhookEventType,
      attemptedAt: new Date(row.attempted_at as string),
      statusCode: (row.status_code as number | null) ?? null,
      outcome: String(row.outcome),
      latencyMs: Number(row.latency_ms),
    }));
  }

  /** Deletes finished events older than the delivery log keeps (the prune-delivery-logs job); answers how many. */
  async pruneFinished(): Promise<number> {
    return (await this.options.sql.query(PRUNE, [LOG_RETENTION_DAYS])).length;
  }

  /**
   * The `deliver-webhook` job: sends the webhook's pending events oldest first while they are
   * due and answered with 2xx. A failure schedules that event's retry and ends the run, so
   * later events wait behind it (order kept); the dispatcher queues the next run when it is due.
   */
  async deliverDue(webhookId: string): Promise<void> {
    const started = Date.now();
    try {
      while (Date.now() - started < RUN_BUDGET_MS) {
        const [webhook] = await this.options.sql.query(LEASE, [webhookId, LEASE_SECONDS]);
        if (!webhook) return;
        const [head] = await this.options.sql.query(HEAD, [webhookId]);
        if (!head || !head.due) return;
        const delivered = await this.attempt(String(webhook.url), String(webhook.secret), head);
        if (!delivered) return;
      }
    } finally {
      await this.options.sql.query(RELEASE, [webhookId]);
    }
  }

  private async attempt(url: string, secret: string, delivery: Record<string, unknown>): Promise<boolean> {
    const { metrics, allowPrivateUrls } = this.options;
    const id = String(delivery.id);
    const body = String(delivery.body);
    const started = Date.now();
    // Checked again before every attempt: a name may resolve elsewhere than at creation.
    const refusal = allowPrivateUrls ? undefined : await checkWebhookUrl(url, this.resolve);
    const result: PostResult = refusal
      ? { error: 'refused' }
      : await postWebhook(url, signedHeaders(secret, id, body), body, { timeoutMs: this.options.timeoutMs, allowPrivate: allowPrivateUrls });
    const latencyMs = Date.now() - started;
    const ok = 'status' in result && result.status >= 200 && result.status < 300;
    const outcome = 'status' in result ? (ok ? 'success' : 'http_error') : result.error;
    metrics.webhookAttempts.inc({ outcome });
    const failures = Number(delivery.attempts) + 1;
    const retryAt = ok ? null : nextAttemptAt(this.options.retry, new Date(delivery.occurred_at as string), failures);
    const status = ok ? 'delivered' : retryAt ? 'pending' : 'failed';
    if (status !== 'pending') metrics.webhookDeliveries.inc({ outcome: status });
    await this.options.sql.query(RECORD_ATTEMPT, [id, 'status' in result ? result.status : null, outcome, status, retryAt, latencyMs]);
    if (!ok) this.options.logger.info({ deliveryId: id, outcome, attempts: failures, retryAt }, 'webhook attempt failed');
    return ok;
  }
}

/** The Standard Webhooks headers of one attempt: the id and body never change, the timestamp is the attempt's. */
function signedHeaders(secret: string, deliveryId: string, body: string): Record<string, string> {
  const webhookId = `msg_${deliveryId}`;
  const at = new Date();
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Signer(secret).sign(webhookId, at, body),
  };
}

function toView(row: Record<string, unknown>): WebhookView {
  return {
    id: String(row.id),
    url: String(row.url),
    events: row.events as WebhookEventType[],
    createdAt: new Date(row.created_at as string),
    secret: null,
  };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
