import { Migration } from '@mikro-orm/migrations';

/**
 * Trust and privacy (CONTRACT.md "Blocking, reports and detection", "Personal data").
 *
 * user_blocks: one row per block; either direction blocks the pair. The primary key answers
 * "does a block the pair?" for both directions with two index probes; (blocked_id) serves
 * "who blocks me".
 *
 * reports and report_evidence: the evidence is a copy of the messages as they were when the
 * report was made (rows, not references), so later edits, deletions and erasure of the
 * messages leave it unchanged; it goes only with its report.
 *
 * messages.flags: what detection found in the text as written (MessageFlag names).
 *
 * pending_object_deletes: storage keys still to delete, worked off by the
 * delete-pending-objects job until none is left (a crash loses none): an erasure's image
 * objects (written in its transaction, due at once) and data exports (due after 24 hours, or
 * at once when their user is erased).
 */
export class Migration20261202020000_trust_and_privacy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE messages ADD COLUMN IF NOT EXISTS flags text[] NOT NULL DEFAULT '{}';`);

    this.addSql(
      `CREATE TABLE IF NOT EXISTS user_blocks (blocker_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE, blocked_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (blocker_id, blocked_id));`,
    );
    this.addSql(`CREATE INDEX IF NOT EXISTS user_blocks_blocked_idx ON user_blocks (blocked_id);`);

    this.addSql(`create type report_reason as enum ('SPAM', 'SCAM', 'HARASSMENT', 'OFF_PLATFORM_PAYMENT', 'INAPPROPRIATE_CONTENT', 'OTHER');`);
    this.addSql(`create type report_status as enum ('OPEN', 'RESOLVED', 'DISMISSED');`);
    this.addSql(`
      create table reports (
        id uuid primary key,
        reason report_reason not null,
        details text null,
        status report_status not null default 'OPEN',
        reporter_id uuid not null references users (id),
        reported_user_id uuid not null references users (id),
        conversation_id uuid null references conversations (id) on delete set null,
        message_id uuid null references messages (id) on delete set null,
        resolution_note text null,
        resolved_at timestamptz null,
        created_at timestamptz not null default now()
      );`);
    // The same reporter reporting the same message again gets the first report.
    this.addSql(`create unique index reports_reporter_message_unique on reports (reporter_id, message_id) where message_id is not null;`);
    // The moderation queue: by status, newest first, keyset-paginated on (created_at, id).
    this.addSql(`create index reports_queue_idx on reports (status, created_at desc, id desc);`);
    this.addSql(`create index reports_reporter_idx on reports (reporter_id);`);
    this.addSql(`create index reports_reported_idx on reports (reported_user_id);`);
    this.addSql(`
      create table report_evidence (
        report_id uuid not null references reports (id) on delete cascade,
        message_id uuid not null,
        sequence integer not null,
        sender_id uuid null references users (id),
        content text null,
        created_at timestamptz not null,
        primary key (report_id, sequence)
      );`);
    this.addSql(`create index report_evidence_sender_idx on report_evidence (sender_id);`);

    this.addSql(`
      create table pending_object_deletes (
        key text primary key,
        -- Whose data the object holds (a data export), so that an erasure deletes it at once.
        user_id uuid null,
        not_before timestamptz not null default now(),
        attempts integer not null default 0,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index pending_object_deletes_due_idx on pending_object_deletes (not_before);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists pending_object_deletes;');
    this.addSql('drop table if exists report_evidence;');
    this.addSql('drop table if exists reports;');
    this.addSql('drop type if exists report_status;');
    this.addSql('drop type if exists report_reason;');
    this.addSql('drop table if exists user_blocks;');
    this.addSql('alter table messages drop column if exists flags;');
  }
}
