import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PushMessage, PushPlatform, PushResult, PushTransport } from '../push/push-transport';
import { sendWithRetry, type RetryOptions } from '../push/retry';
import type { NotificationType } from '../schema/common/enums';
import type { Row } from './rows';

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

const EMPTY: DeliverySummary = { sent: 0, invalidTokens: 0, failed: 0 };

/**
 * Stores notifications and hands them to the push provider, once per device.
 *
 * Each (notification, device) pair is a `push_deliveries` row. `send` claims the pending rows
 * (pending -> sending) in one statement before calling the provider and records the answer
 * afterwards, so two workers never send the same pair and a run repeated after a crash never
 * sends it twice: a pair claimed by a process that died stays `sending` (at most once).
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
        `insert into push_deliveries (notification_id, device_id) select ?, unnest(?::uuid[]) on conflict do nothing`,
        [id, `{${deviceIds.join(',')}}`],
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
      `insert into push_deliveries (notification_id, device_id) select ?, unnest(?::uuid[]) on conflict do nothing`,
      [notificationId, `{${deviceIds.join(',')}}`],
    );
  }

  /**
   * Sends a notification to each of its devices still pending, then records the outcomes.
   * Safe to call any number of times, from any number of processes.
   */
  async send(notificationId: string): Promise<DeliverySummary> {
    const em = this.fork();
    const claimed: Row[] = await em.execute(
      `update push_deliveries d set state = 'sending', attempted_at = now()
       from push_notifications n, push_devices p
       where d.notification_id = ? and d.state = 'pending'
         and n.id = d.notification_id and p.id = d.device_id and p.user_id = n.user_id
       returning d.device_id, p.token, p.platform, n.type, n.title, n.body, n.data, n.collapse_key, n.thread_id, n.badge`,
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
    const invalid = outcomes.filter(({ result }) => result.outcome === 'invalid_token').map(({ row }) => String(row.device_id));
    if (invalid.length > 0) {
      const deleted = await em.execute(`delete from push_devices where id = any(?::uuid[]) returning id`, [`{${invalid.join(',')}}`]);
      metrics.pushTokensDeleted.inc(deleted.length);
    }
    for (const { result } of outcomes) metrics.pushDeliveries.inc({ transport: transport.name, outcome: result.outcome });
    const summary = {
      sent: outcomes.filter(({ result }) => result.outcome === 'sent').length,
      invalidTokens: invalid.length,
      failed: outcomes.filter(({ result }) => result.outcome === 'transient_error' || result.outcome === 'error').length,
    };
    this.options.logger.info({ notificationId, type: claimed[0].type, devices: claimed.length, ...summary }, 'push notification delivered');
    return summary;
  }

  /** Notifications of a recipient (and conversation) with deliveries never claimed: a composer died before sending. */
  async pendingNotifications(userId: string, conversationId: string | null): Promise<string[]> {
    const rows: Row[] = await this.fork().execute(
      `select distinct n.id from push_notifications n join push_deliveries d on d.notification_id = n.id and d.state = 'pending'
       where n.user_id = ? and n.conversation_id is not distinct from ?::uuid and n.state = 'ready'`,
      [userId, conversationId],
    );
    return rows.map((row) => String(row.id));
  }

  /** Ready notifications with deliveries left pending for longer than `olderThan` (any recipient). */
  async stalePendingNotifications(olderThan: Date, limit = 1000): Promise<string[]> {
    const rows: Row[] = await this.fork().execute(
      `select distinct d.notification_id as id from push_deliveries d join push_notifications n on n.id = d.notification_id
       where d.state = 'pending' and n.state = 'ready' and n.created_at < ? limit ?`,
      [olderThan, limit],
    );
    return rows.map((row) => String(row.id));
  }

  /** Deletes notifications (and their delivery records) created before `before`, held ones excepted. */
  async prune(before: Date): Promise<number> {
    const rows: Row[] = await this.fork().execute(
      `delete from push_notifications where created_at < ? and state <> 'held' returning id`,
      [before],
    );
    return rows.length;
  }

  private async insert(em: EntityManager, draft: NotificationDraft, state: 'ready' | 'held', dueAt: Date | null): Promise<string> {
    const rows: Row[] = await em.execute(
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
    return String(rows[0].id);
  }

  private fork(): EntityManager {
    return this.options.orm.em.fork() as EntityManager;
  }
}

function toPushMessage(row: Row): PushMessage {
  return {
    token: String(row.token),
    platform: row.platform as PushPlatform,
    title: String(row.title),
    body: String(row.body),
    data: (row.data as Record<string, string>) ?? {},
    collapseKey: String(row.collapse_key),
    threadId: String(row.thread_id),
    badge: row.badge === null || row.badge === undefined ? undefined : Number(row.badge),
  };
}

function deliveryState(result: PushResult): 'sent' | 'invalid_token' | 'failed' {
  if (result.outcome === 'sent') return 'sent';
  if (result.outcome === 'invalid_token') return 'invalid_token';
  return 'failed';
}
