import { Migration } from '@mikro-orm/migrations';

/**
 * The initial schema. Written by hand rather than generated because it relies on things the
 * entity metadata cannot express: NULLS NOT DISTINCT, partial indexes and a generated column.
 * Every query the API runs is served by one of these indexes (docs/query-plans.md).
 */
export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type conversation_status as enum ('ACTIVE', 'ARCHIVED', 'AUTO_ARCHIVED');`);
    this.addSql(`create type message_type as enum ('TEXT', 'IMAGE', 'SYSTEM');`);
    this.addSql(`create type image_status as enum ('PENDING', 'READY', 'FAILED', 'DELETED');`);
    this.addSql(`create type device_platform as enum ('ANDROID', 'IOS', 'WEB');`);

    this.addSql(`
      create table users (
        id uuid primary key,
        display_name text null,
        avatar_url text null,
        last_seen_at timestamptz null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);

    this.addSql(`
      create table conversations (
        id uuid primary key,
        participant_a_id uuid not null references users (id),
        participant_b_id uuid not null references users (id),
        job_application_id text null,
        status conversation_status not null default 'ACTIVE',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_message_at timestamptz null,
        last_sequence integer not null default 0,
        archived_at timestamptz null,
        archived_by_id uuid null references users (id),
        activity_at timestamptz generated always as (coalesce(last_message_at, created_at)) stored,
        constraint conversations_pair_ordered check (participant_a_id < participant_b_id)
      );`);
    // One conversation per pair and job application, whoever started it (the pair is ordered).
    this.addSql(`
      create unique index conversations_pair_job_unique
        on conversations (participant_a_id, participant_b_id, job_application_id) nulls not distinct;`);
    // The conversation list: one ordered index scan per side of the pair, merged by UNION ALL.
    this.addSql(`create index conversations_a_list_idx on conversations (participant_a_id, status, activity_at desc, id desc);`);
    this.addSql(`create index conversations_b_list_idx on conversations (participant_b_id, status, activity_at desc, id desc);`);
    // Auto-archive scans only ACTIVE conversations, oldest activity first.
    this.addSql(`create index conversations_active_idle_idx on conversations (activity_at, id) where status = 'ACTIVE';`);

    this.addSql(`
      create table messages (
        id uuid primary key,
        conversation_id uuid not null references conversations (id) on delete cascade,
        sequence integer not null,
        type message_type not null,
        sender_id uuid null references users (id),
        content text null,
        metadata jsonb not null default '{}',
        client_message_id text null,
        created_at timestamptz not null default now(),
        delivered_at timestamptz null,
        read_at timestamptz null,
        constraint messages_conversation_sequence_unique unique (conversation_id, sequence)
      );`);
    // Idempotent sends: one message per (conversation, sender, clientMessageId), kept forever.
    this.addSql(`
      create unique index messages_client_message_id_unique
        on messages (conversation_id, sender_id, client_message_id) where client_message_id is not null;`);
    // Unread counts and markRead touch only unread rows: small and exact.
    this.addSql(`create index messages_unread_idx on messages (conversation_id, sender_id) where read_at is null;`);

    this.addSql(`
      create table message_images (
        id uuid primary key,
        message_id uuid not null unique references messages (id) on delete cascade,
        status image_status not null default 'PENDING',
        mime_type text not null,
        size_bytes integer not null,
        width integer not null,
        height integer not null,
        original_key text null,
        preview_key text null,
        thumbnail_key text null,
        delete_after timestamptz not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index message_images_expiry_idx on message_images (delete_after) where status <> 'DELETED';`);

    this.addSql(`
      create table notification_preferences (
        user_id uuid primary key references users (id) on delete cascade,
        push_enabled boolean not null default true,
        email_enabled boolean not null default true,
        new_message_push boolean not null default true,
        new_application_push boolean not null default true,
        application_status_push boolean not null default true,
        new_review_push boolean not null default true,
        work_agreement_push boolean not null default true,
        quiet_hours_enabled boolean not null default false,
        quiet_hours_start text not null default '22:00',
        quiet_hours_end text not null default '08:00',
        quiet_hours_timezone text not null default 'UTC',
        updated_at timestamptz not null default now()
      );`);

    this.addSql(`
      create table push_devices (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        token text not null unique,
        platform device_platform not null,
        created_at timestamptz not null default now(),
        last_seen_at timestamptz null
      );`);
    this.addSql(`create index push_devices_user_idx on push_devices (user_id);`);

    this.addSql(`
      create table audit_log (
        id bigserial primary key,
        actor_id text null,
        action text not null,
        entity_type text not null,
        entity_id text not null,
        data jsonb not null default '{}',
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index audit_log_entity_idx on audit_log (entity_type, entity_id);`);
  }

  override async down(): Promise<void> {
    for (const table of ['audit_log', 'push_devices', 'notification_preferences', 'message_images', 'messages', 'conversations', 'users']) {
      this.addSql(`drop table if exists ${table} cascade;`);
    }
    for (const type of ['device_platform', 'image_status', 'message_type', 'conversation_status']) {
      this.addSql(`drop type if exists ${type};`);
    }
  }
}
