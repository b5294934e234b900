import { Migration } from '@mikro-orm/migrations';

/**
 * Push notifications and scheduled jobs (docs/push-and-jobs.md).
 *
 * - `push_conversation_state`: per recipient and conversation, the open batch (`due_at`: when
 *   its notification is due, null when nothing waits) and `pushed_up_to`, the last message
 *   sequence a notification covered. Opening a batch is one atomic upsert, so concurrent
 *   messages on any number of instances schedule one delivery job; `batch_from` is the
 *   sequence of the message that opened it (older unread ones were not for a push).
 * - `push_notifications`: each notification composed, with a unique `event_key`; notifyUser
 *   calls inside quiet hours wait here as `held` until their job sends them.
 * - `push_deliveries`: one row per notification and device, claimed (`sending`) before the
 *   provider is called: a job run again after a crash never sends to a device twice.
 * - `agenda_jobs`: Agenda's table, created here instead of by @agendajs/postgres-backend on
 *   connect (its DDL is not safe when several instances start at once). Same columns and
 *   indexes as @agendajs/postgres-backend 3.0.6 (src/schema.ts there): check them when upgrading.
 */
export class Migration20261128020000_push_and_jobs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table push_conversation_state (
        user_id uuid not null references users (id) on delete cascade,
        conversation_id uuid not null references conversations (id) on delete cascade,
        pushed_up_to integer not null default 0,
        batch_from integer null,
        due_at timestamptz null,
        primary key (user_id, conversation_id)
      );`);
    // The maintenance job finds batches whose delivery job was lost.
    this.addSql(`create index push_conversation_state_due_idx on push_conversation_state (due_at) where due_at is not null;`);

    this.addSql(`
      create table push_notifications (
        id uuid primary key,
        event_key text not null,
        user_id uuid not null references users (id) on delete cascade,
        conversation_id uuid null references conversations (id) on delete cascade,
        type text not null,
        title text not null,
        body text not null,
        data jsonb not null default '{}',
        collapse_key text not null,
        thread_id text not null,
        badge integer null,
        state text not null,
        due_at timestamptz null,
        created_at timestamptz not null default now(),
        constraint push_notifications_event_key_unique unique (event_key),
        constraint push_notifications_state_check check (state in ('held', 'ready', 'dropped'))
      );`);
    this.addSql(`create index push_notifications_held_idx on push_notifications (due_at) where state = 'held';`);
    this.addSql(`create index push_notifications_user_conversation_idx on push_notifications (user_id, conversation_id);`);
    this.addSql(`create index push_notifications_created_idx on push_notifications (created_at);`);

    this.addSql(`
      create table push_deliveries (
        notification_id uuid not null references push_notifications (id) on delete cascade,
        device_id uuid not null,
        state text not null default 'pending',
        error text null,
        attempted_at timestamptz null,
        finished_at timestamptz null,
        primary key (notification_id, device_id),
        constraint push_deliveries_state_check check (state in ('pending', 'sending', 'sent', 'invalid_token', 'failed'))
      );`);
    this.addSql(`create index push_deliveries_pending_idx on push_deliveries (notification_id) where state = 'pending';`);

    this.addSql(`
      create table if not exists agenda_jobs (
        id uuid primary key default gen_random_uuid(),
        name varchar(255) not null,
        priority integer not null default 0,
        next_run_at timestamptz,
        type varchar(10) not null default 'normal' check (type in ('normal', 'single')),
        locked_at timestamptz,
        last_finished_at timestamptz,
        failed_at timestamptz,
        fail_count integer default null,
        fail_reason text,
        repeat_timezone varchar(100),
        last_run_at timestamptz,
        repeat_interval varchar(255),
        data jsonb default '{}'::jsonb,
        repeat_at varchar(255),
        disabled boolean default false,
        progress real,
        fork boolean default false,
        last_modified_by varchar(255),
        debounce_started_at timestamptz,
        start_date timestamptz,
        end_date timestamptz,
        skip_days jsonb,
        created_at timestamptz default now(),
        updated_at timestamptz default now()
      );`);
    this.addSql(`
      create index if not exists agenda_jobs_find_and_lock_idx
        on agenda_jobs (name, next_run_at, priority desc, locked_at, disabled) where disabled = false;`);
    this.addSql(`create unique index if not exists agenda_jobs_single_job_idx on agenda_jobs (name) where type = 'single';`);
    this.addSql(`create index if not exists agenda_jobs_locked_at_idx on agenda_jobs (locked_at) where locked_at is not null;`);
    this.addSql(`create index if not exists agenda_jobs_next_run_at_idx on agenda_jobs (next_run_at) where next_run_at is not null;`);
    this.addSql(`
      create or replace function update_agenda_jobs_updated_at() returns trigger as $$
      begin
        new.updated_at = now();
        return new;
      end;
      $$ language plpgsql;`);
    this.addSql(`
      create trigger agenda_jobs_updated_at_trigger before update on agenda_jobs
        for each row execute function update_agenda_jobs_updated_at();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists agenda_jobs cascade;`);
    this.addSql(`drop function if exists update_agenda_jobs_updated_at();`);
    this.addSql(`drop table if exists push_deliveries cascade;`);
    this.addSql(`drop table if exists push_notifications cascade;`);
    this.addSql(`drop table if exists push_conversation_state cascade;`);
  }
}
