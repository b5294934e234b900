import { Migration } from '@mikro-orm/migrations';

/**
 * MESSAGE_UPDATED reaches webhooks, and both message events show the message as the API does.
 *
 * `webhook_message(id)`: the contract's `message` of MESSAGE_SENT and MESSAGE_UPDATED, without
 * viewer-specific fields: with replyToId, editedAt, deletedAt, revision, flags and the
 * reactions grouped as the API groups them (most used first, then the earliest; userIds in
 * the order they reacted). One function, so the two events cannot drift apart.
 *
 * The outbox trigger now also turns the `message_updated` rows that every edit, deletion and
 * reaction change writes (send-pipeline.ts `change`) into MESSAGE_UPDATED deliveries, in the
 * change's own transaction, after its new state is written.
 */
export class Migration20261203010000_webhook_message_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function webhook_message(p_message_id uuid) returns jsonb language sql stable as $fn$
        select jsonb_build_object(
                 'id', m.id, 'conversationId', m.conversation_id, 'sequence', m.sequence, 'type', m.type,
                 'senderId', m.sender_id, 'sender', case when u.id is null then null else jsonb_build_object(
                   'id', u.id, 'displayName', u.display_name, 'avatarUrl', u.avatar_url) end,
                 'content', m.content, 'metadata', m.metadata, 'clientMessageId', m.client_message_id,
                 'createdAt', webhook_time(m.created_at), 'deliveredAt', webhook_time(m.delivered_at),
                 'readAt', webhook_time(m.read_at), 'replyToId', m.reply_to_id,
                 'editedAt', webhook_time(m.edited_at), 'deletedAt', webhook_time(m.deleted_at),
                 'revision', m.revision, 'flags', to_jsonb(m.flags),
                 'reactions', coalesce((
                   select jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'userIds', g.user_ids) order by g.n desc, g.first_at, g.emoji)
                   from (select emoji, count(*) as n, min(created_at) as first_at,
                                array_agg(user_id::text order by created_at, user_id) as user_ids
                         from message_reactions where message_id = m.id group by emoji) g), '[]'::jsonb),
                 'image', (select jsonb_build_object('id', i.id, 'mimeType', i.mime_type, 'width', i.width, 'height', i.height)
                           from message_images i where i.message_id = m.id and i.status <> 'DELETED'))
        from messages m left join users u on u.id = m.sender_id where m.id = p_message_id
      $fn$;`);
    this.addSql(`
      create or replace function outbox_to_webhooks() returns trigger language plpgsql as $fn$
      declare
        v_type text;
        v_data jsonb;
      begin
        if not exists (select 1 from webhooks) then return null; end if;
        if new.kind in ('message', 'message_updated') then
          v_type := case new.kind when 'message' then 'MESSAGE_SENT' else 'MESSAGE_UPDATED' end;
          select jsonb_build_object('conversationId', m.conversation_id, 'message', webhook_message(m.id))
            into v_data from messages m where m.id = new.message_id;
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
  }

  override async down(): Promise<void> {
    // The webhooks migration's version of the trigger, word for word.
    this.addSql(`
      create or replace function outbox_to_webhooks() returns trigger language plpgsql as $fn$
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
    this.addSql('drop function if exists webhook_message(uuid);');
  }
}
