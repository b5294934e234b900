import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks (CONTRACT.md "Webhooks (service role)") and email digests ("Email").
 *
 * - `webhooks`: the registered URLs, their event types and signing secrets.
 * - `webhook_deliveries`: one row per event and webhook, written in the transaction of the
 *   change; `body` is frozen there, so every attempt sends the same bytes under the same id.
 *   `next_attempt_at` is when it is due; a claimed attempt pushes it forward (a lease), so a
 *   process that dies mid-attempt leaves the row to be tried again, never lost.
 * - `webhook_attempts`: the delivery log (status and latency of each attempt).
 * - `outbox_to_webhooks()`: the events that SQL statements already write to `outbox` (messages
 *   from send_message(), read receipts, conversation events) are fanned out to the webhooks by
 *   a trigger, in the same transaction, so send_message() and the read statement stay as they
 *   are. Events written from TypeScript call recordWebhookEvent() (src/webhooks/).
 * - `email_digest_state`, `email_digests`, `email_signing_key`: the email digests (src/email/).
 * - `users.email`. The email digests also read `user_blocks`, which the trust-and-privacy
 *   migration (20261202020000, before this one) creates.
 */
export class Migration20261202030000_webhooks_and_email extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhooks (
        id uuid primary key default gen_random_uuid(),
        url text not null,
        events text[] not null,
        secret text not null,
        created_at timestamptz not null default now(),
        -- Set while a delivery job for this webhook is queued or running (a lease: a job that
        -- died lets it run out), so the dispatcher queues one job per webhook at a time.
        dispatch_until timestamptz null
      );`);
    this.addSql(`
      create table webhook_deliveries (
        id uuid primary key default gen_random_uuid(),
        webhook_id uuid not null references webhooks (id) on delete cascade,
        event_type text not null,
        occurred_at timestamptz not null default now(),
        body text not null,
        status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        last_status integer null,
        finished_at timestamptz null
      );`);
    this.addSql(`create index webhook_deliveries_head_idx on webhook_deliveries (webhook_id, occurred_at, id) where status = 'pending';`);
    this.addSql(`
      create table webhook_attempts (
        id bigserial primary key,
        delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
        attempted_at timestamptz not null default now(),
        status_code integer null,
        outcome text not null,
        latency_ms integer not null
      );`);
    this.addSql(`create index webhook_attempts_delivery_idx on webhook_attempts (delivery_id, id);`);

    // Times as the API's DateTime shows them: ISO 8601 UTC with milliseconds.
    this.addSql(`
      create function webhook_time(p_at timestamptz) returns text language sql immutable as $fn$
        select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $fn$;`);
    this.addSql(`
      create function webhook_body(p_type text, p_data jsonb) returns text language sql stable as $fn$
        select jsonb_build_object('type', p_type, 'timestamp', webhook_time(now()), 'data', p_data)::text
      $fn$;`);
    this.addSql(`
      create function outbox_to_webhooks() returns trigger language plpgsql as $fn$
      declare
        v_type text;
        v_data jsonb;
      begin
        if not exists (select 1 from webhooks) then return null; end if;
        if new.kind = 'message' then
          v_type := 'MESSAGE_SENT';
          select jsonb_build_object('conversationId', m.conversation_id, 'message', jsonb_build_object(
                   'id', m.id, 'conversationId', m.conversation_id, 'sequence', m.sequence, 'type', m.type,
                   'senderId', m.sender_id, 'sender', case when u.id is null then null else jsonb_build_object(
                     'id', u.id, 'displayName', u.display_name, 'avatarUrl', u.avatar_url) end,
                   'content', m.content, 'metadata', m.metadata, 'clientMessageId', m.client_message_id,
                   'createdAt', webhook_time(m.created_at), 'deliveredAt', webhook_time(m.delivered_at),
                   'readAt', webhook_time(m.read_at),
                   'image', (select jsonb_build_object('id', i.id, 'mimeType', i.mime_type, 'width', i.width, 'height', i.height)
                             from message_images i where i.message_id = m.id)))
            into v_data from messages m left join users u on u.id = m.sender_id where m.id = new.message_id;
        elsif new.kind = 'read' then
          v_type := 'MESSAGE_READ';
          v_data := jsonb_set(new.payload -> 'receipt', '{readAt}', to_jsonb(webhook_time((new.payload -> 'receipt' ->> 'readAt')::timestamptz)));
        elsif new.kind = 'conversation' and new.payload -> 'event' ->> 'kind' in ('CREATED', 'ARCHIVED') then
          v_type := 'CONVERSATION_' || (new.payload -> 'event' ->> 'kind');
          select jsonb_build_object('conversation', jsonb_build_object(
                   'id', c.id, 'participantIds', jsonb_build_array(c.participant_a_id, c.participant_b_id),
                   'jobApplicationId', c.job_application_id, 'status', c.status, 'archivedAt', webhook_time(c.archived_at)))
            into v_data from conversations c where c.id = (new.payload -> 'event' ->> 'conversationId')::uuid;
        end if;
        if v_type is not null and v_data is not null then
          insert into webhook_deliveries (webhook_id, event_type, body)
          select w.id, v_type, webhook_body(v_type, v_data) from webhooks w where v_type = any (w.events);
        end if;
        return null;
      end
      $fn$;`);
    this.addSql(`create trigger outbox_to_webhooks after insert on outbox for each row execute function outbox_to_webhooks();`);

    this.addSql(`alter table users add column if not exists email text null;`);

    // Email digests (src/email/): per recipient, when the last digest went out and the newest
    // message it covered; each digest is claimed in a row before it is sent (see the service).
    this.addSql(`
      create table email_digest_state (
        user_id uuid primary key references users (id) on delete cascade,
        last_sent_at timestamptz null,
        covered_up_to timestamptz null
      );`);
    this.addSql(`
      create table email_digests (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        created_at timestamptz not null default now(),
        conversations integer not null,
        status text not null check (status in ('sending', 'sent', 'failed'))
      );`);
    this.addSql(`create index email_digests_user_idx on email_digests (user_id, created_at);`);
    // The key that signs unsubscribe links, made once by the first process that needs it.
    this.addSql(`create table email_signing_key (id integer primary key check (id = 1), secret bytea not null);`);
    // The digest job looks for unread messages: only those, and only by age.
    this.addSql(`create index messages_unread_created_idx on messages (created_at) where read_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists outbox_to_webhooks on outbox;');
    this.addSql('drop function if exists outbox_to_webhooks();');
    this.addSql('drop function if exists webhook_body(text, jsonb);');
    this.addSql('drop function if exists webhook_time(timestamptz);');
    this.addSql('drop index if exists messages_unread_created_idx;');
    this.addSql('drop table if exists email_signing_key;');
    this.addSql('drop table if exists email_digests;');
    this.addSql('drop table if exists email_digest_state;');
    this.addSql('drop table if exists webhook_attempts;');
    this.addSql('drop table if exists webhook_deliveries;');
    this.addSql('drop table if exists webhooks;');
  }
}
