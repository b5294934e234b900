import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PushResult, PushTransport } from '../push/push-transport';
import { sendWithRetry, type RetryOptions } from '../push/retry';
import type { NotificationType } from '../schema/common/enums';
import { CLAIMED_DELIVERY_COLUMNS, toPushMessage, type ClaimedDeliveryRow } from '../db/rows/push.rows';
import type { IdRow } from '../db/rows/row-values';

/** A notification about to be stored: what every device of the recipient will show. */
export interface NotificationDraft {
  /**
   * Identifies the event: storing the same key twice keeps the first notification, so a job
   * that composes again after a crash reuses it instead of sending a second one.
   */
  eventKey: string;
  userId: string;
  conversationId: string | null;
  type: NotificationType;
  title: string;
  body: string;
  /** Ids only, as strings (FCM's data values are strings). */
  data: Record<string, string>;
  /** Notifications with the same key replace each other on the device. */
  collapseKey: string;
  threadId: string;
  badge: number | null;
}

/** What the provider answered for the devices of one notification. */
export interface DeliverySummary {
  /** Devices the provider accepted the notification for. */
  sent: number;
  /** Devices whose token the provider reported unregistered or invalid (now removed). */
  invalidTokens: number;
  /** Devices that failed for another reason, or transiently until the retry bound. */
  failed: number;
}

export interface PushDeliveryOptions {
  orm: Orm;
  transport: PushTransport;
  metrics: Metrics;
  logger: Logger;
  retry: Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'sleep'>;
}

/**
 * How long a claimed delivery may wait for the provider's answer before maintenance takes its
 * worker for dead. Far longer than a send with its retries (firebase-admin's own retries of a
 * 503 take 7 s; sendWithRetry's backoff under a minute).
 */
export const SENDING_LEASE_MS = 5 * 60_000;
/** A delivery is claimed at most twice: its first send, and one more after an expired lease. */
const MAX_CLAIMS = 2;

const EMPTY: DeliverySummary = { sent: 0, invalidTokens: 0, failed: 0 };

/**
 * Stores notifications and hands them to the push provider, once per device.
 *
 * Each (notification, device) pair is a `push_deliveries` row. `send` claims the pending rows
 * (pending -> sending) in one statement before calling the provider and records the answer
 * afterwards, so two workers never send the same pair and a run repeated after a crash never
 * sends it twice: a pair claimed by a process that died stays `sending` until its lease
 * ({@link SENDING_LEASE_MS}) runs out, then maintenance sends it again, once.
 * Transient provider failures are retried with backoff up to `retry.maxAttempts`; tokens the
 * provider reports unregistered or invalid are deleted from `push_devices`.
 */
export class PushDeliveryService {
  constructor(private readonly options: PushDeliveryOptions) {}

  /**
   * Stores a notification ready to send, with one pending delivery per device, inside the
   * caller's transaction. Returns its id (the existing one when the event key is known).
   */
  async compose(tx: EntityManager, draft: NotificationDraft, deviceIds: string[]): Promise<string> {
    const id = await this.insert(tx, draft, 'ready', null);
    if (deviceIds.length > 0) {
      await tx.execute(
        `insert into push_deliveries (notification_id, device_id) select ?, unnest(array[?]::uuid[]) on conflict do nothing`,
        [id, deviceIds],
      );
    }
    return id;
  }

  /** Stores a notification held until `dueAt` (quiet hours); `release` makes it ready later. */
  async hold(em: EntityManager, draft: NotificationDraft, dueAt: Date): Promise<string> {
    return this.insert(em, draft, 'held', dueAt);
  }

  /** Turns a held notification ready, with the badge of now and a delivery per device. */
  async release(tx: EntityManager, notificationId: string, badge: number, deviceIds: string[]): Promise<void> {
    await tx.execute(`update push_notifications set state = 'ready', badge = ?, due_at = null where id = ?`, [badge, notificationId]);
    await tx.execute(
      `insert into push_deliveries (notification_id, device_id) select ?, unnest(array[?]::uuid[]) on conflict do nothing`,
      [notificationId, deviceIds],
    );
  }

  /**
   * Sends a notification to each of its devices still pending, then records the outcomes.
   * Safe to call any number of times, from any number of processes.
   */
  async send(notificationId: string): Promise<DeliverySummary> {
    const em = this.fork();
    const claimed: ClaimedDeliveryRow[] = await em.execute(
      `update push_deliveries d set state = 'sending', attempted_at = now(), attempts = d.attempts + 1
       from push_notifications n, push_devices p
       where d.notification_id = ? and d.state = 'pending'
         and n.id = d.notification_id and p.id = d.device_id and p.user_id = n.user_id
       returning ${CLAIMED_DELIVERY_COLUMNS}`,
      [notificationId],
    );
    // A device removed (or handed to another user) since the notification was composed.
    await em.execute(
      `update push_deliveries d set state = 'failed', error = 'device removed', finished_at = now()
       where d.notification_id = ? and d.state = 'pending'`,
      [notificationId],
    );
    if (claimed.length === 0) return { ...EMPTY };
    const { transport, metrics, retry } = this.options;
    const messages = claimed.map(toPushMessage);
    let results: PushResult[];
    try {
      results = await sendWithRetry(transport, messages, retry);
    } catch (error) {
      // sendWithRetry only rejects on a bug; the claimed rows must not stay `sending` as if in flight.
      results = messages.map((message) => ({ token: message.token, outcome: 'error', error: String(error) }));
    }
    const outcomes = claimed.map((row, index) => ({ row, result: results[index] }));
    await em.execute(
      `update push_deliveries d set state = v.state, error = v.error, finished_at = now()
       from jsonb_to_recordset(?::jsonb) as v(device_id uuid, state text, error text)
       where d.notification_id = ? and d.device_id = v.device_id`,
      [
        JSON.stringify(outcomes.map(({ row, result }) => ({ device_id: row.device_id, state: deliveryState(result), error: result.error ?? null }))),
        notificationId,
      ],
    );
    const invalid = outcomes.filter(({ result }) => result.outcome === 'invalid_token').map(({ row }) => row.device_id);
    if (invalid.length > 0) {
      const deleted = await em.execute(`delete from push_devices where id = any(array[?]::uuid[]) returning id`, [invalid]);
      metrics.pushTokensDeleted.inc(deleted.length);
    }
    for (const { result } of outcomes) metrics.pushDeliveries.inc({ transport: transport.name, outcome: result.outcome });
    const summary = {
      sent: outcomes.filter(({ result }) => result.outcome === 'sent').length,
      invalidTokens: invalid.length,
      failed: outcomes.filter(({ result }) => result.outcome === 'transient_error' || result.outcome === 'ambiguous' || result.outcome === 'error').length,
    };
    this.options.logger.info({ notificationId, type: claimed[0].type, devices: claimed.length, ...summary }, 'push notification delivered');
    return summary;
  }

  /**
   * Deliveries whose lease ran out: claimed (`sending`) more than `leaseMs` ago (by the
   * database's clock, which set `attempted_at`) and never
   * answered, because their worker died during the provider call. Claimed once: back to
   * `pending`, to be sent again once (a copy that arrives replaces the first, see
   * {@link PushMessage.collapseKey}). Claimed twice: `failed`. Answers the notifications to send.
   */
  async expireLeases(leaseMs = SENDING_LEASE_MS, limit = 1000): Promise<string[]> {
    const em = this.fork();
    await em.execute(
      `update push_deliveries set state = 'failed', error = 'lease expired twice', finished_at = now()
       where state = 'sending' and attempted_at < now() - make_interval(secs => ? / 1000.0) and attempts >= ?`,
      [leaseMs, MAX_CLAIMS],
    );
    const rows: { notification_id: string }[] = await em.execute(
      `update push_deliveries d set state = 'pending'
       where (d.notification_id, d.device_id) in (
         select notification_id, device_id from push_deliveries
         where state = 'sending' and attempted_at < now() - make_interval(secs => ? / 1000.0) and attempts < ? limit ? for update skip locked)
       returning d.notification_id`,
      [leaseMs, MAX_CLAIMS, limit],
    );
    if (rows.length > 0) this.options.logger.warn({ deliveries: rows.length }, 'push deliveries whose worker died mid-call are sent again, once');
    return [...new Set(rows.map((row) => String(row.notification_id)))];
  }

  /** Notifications of a recipient (and conversation) with deliveries never claimed: a composer died before sending. */
  async pendingNotifications(userId: string, conversationId: string | null): Promise<string[]> {
    const rows: IdRow[] = await this.fork().execute(
      `select distinct n.id from push_notifications n join push_deliveries d on d.notification_id = n.id and d.state = 'pending'
       where n.user_id = ? and n.conversation_id is not distinct from ?::uuid and n.state = 'ready'`,
      [userId, conversationId],
    );
    return rows.map((row) => row.id);
  }

  /** Ready notifications with deliveries left pending for longer than `olderThan` (any recipient). */
  async stalePendingNotifications(olderThan: Date, limit = 1000): Promise<string[]> {
    const rows: IdRow[] = await this.fork().execute(
      `select distinct d.notification_id as id from push_deliveries d join push_notifications n on n.id = d.notification_id
       where d.state = 'pending' and n.state = 'ready' and n.created_at < ? limit ?`,
      [olderThan, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Deletes notifications (and their delivery records) created before `before`, held ones excepted. */
  async prune(before: Date): Promise<number> {
    const rows: IdRow[] = await this.fork().execute(
      `delete from push_notifications where created_at < ? and state <> 'held' returning id`,
      [before],
    );
    return rows.length;
  }

  private async insert(em: EntityManager, draft: NotificationDraft, state: 'ready' | 'held', dueAt: Date | null): Promise<string> {
    const rows: IdRow[] = await em.execute(
      `insert into push_notifications
         (id, event_key, user_id, conversation_id, type, title, body, data, collapse_key, thread_id, badge, state, due_at)
       values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?)
       on conflict (event_key) do update set event_key = excluded.event_key
       returning id`,
      [
        randomUUID(),
        draft.eventKey,
        draft.userId,
        draft.conversationId,
        draft.type,
        draft.title,
        draft.body,
        JSON.stringify(draft.data),
        draft.collapseKey,
        draft.threadId,
        draft.badge,
        state,
        dueAt,
      ],
    );
    return rows[0].id;
  }

  private fork(): EntityManager {
    return this.options.orm.em.fork() as EntityManager;
  }
}

function deliveryState(result: PushResult): 'sent' | 'invalid_token' | 'failed' {
  if (result.outcome === 'sent') return 'sent';
  if (result.outcome === 'invalid_token') return 'invalid_token';
  return 'failed';
}
