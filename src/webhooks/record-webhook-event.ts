import type { Sql, Statement } from '../db/sql';
import type { WebhookEventType } from './webhook-event-type';

// The body is built once, here, by the same SQL function the outbox trigger uses: every
// attempt then sends the same bytes, and both paths format `timestamp` alike.
const RECORD: Statement = {
  name: 'webhook_record_event',
  // Each parameter once, in order: EmSql (a MikroORM transaction) binds them positionally.
  text: `with event as (select $1::text as type, $2::jsonb as data)
         insert into webhook_deliveries (webhook_id, event_type, body)
         select w.id, e.type, webhook_body(e.type, e.data) from event e join webhooks w on e.type = any (w.events)`,
};

/**
 * Records an event for every webhook subscribed to `type`, through `sql`: the transaction of
 * the change it announces, so the event is durable exactly when the change is (the delivery
 * job picks it up after the commit). `data` is the contract's `data` for that type.
 *
 * Events that SQL statements write to the outbox (MESSAGE_SENT, MESSAGE_READ,
 * CONVERSATION_CREATED, CONVERSATION_ARCHIVED) reach webhooks through the outbox trigger of the
 * webhooks migration; every other event (USER_BLOCKED, REPORT_CREATED, MESSAGE_UPDATED) calls this.
 */
export async function recordWebhookEvent(sql: Sql, type: WebhookEventType, data: Record<string, unknown>): Promise<void> {
  await sql.query(RECORD, [type, JSON.stringify(data)]);
}
