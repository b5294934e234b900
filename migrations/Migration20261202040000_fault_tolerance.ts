import { Migration } from '@mikro-orm/migrations';

/**
 * What the faults of issue 10 need in the database.
 *
 * outbox.push_decided: the push decision of a message is taken even when its publish failed
 * (Redis away: push is then the one channel that still reaches the recipient), and the row
 * remembers it, so that the relay, which publishes the row later, does not decide again.
 *
 * A lease on `sending` push deliveries. A delivery is claimed (`sending`) before the provider
 * call; a worker that dies during the call left it `sending` for ever, never retried. Now
 * `attempted_at` is the start of a lease: once it is older than the lease, maintenance gives
 * the delivery back to `pending` and sends it again, once (`attempts` counts the claims), with
 * the same collapse identity, so that a copy of a push that did arrive replaces it. A second
 * expired lease ends the delivery as `failed`.
 */
export class Migration20261202040000_fault_tolerance extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table outbox add column push_decided boolean not null default false;`);
    this.addSql(`alter table push_deliveries add column attempts integer not null default 0;`);
    // Rows claimed before this migration count as claimed once.
    this.addSql(`update push_deliveries set attempts = 1 where state <> 'pending';`);
    this.addSql(`create index push_deliveries_sending_idx on push_deliveries (attempted_at) where state = 'sending';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists push_deliveries_sending_idx;`);
    this.addSql(`alter table push_deliveries drop column if exists attempts;`);
    this.addSql(`alter table outbox drop column if exists push_decided;`);
  }
}
