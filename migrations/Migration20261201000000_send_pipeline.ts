import { Migration } from '@mikro-orm/migrations';

/**
 * The send pipeline's one statement, and the transactional outbox behind every event.
 *
 * send_message() does the whole database side of a send in one round trip: it locks the
 * conversation row (which also answers membership), answers an earlier message with the same
 * idempotency key (a replay), or takes the next sequence, inserts the message (and its image
 * row), reactivates an archived conversation and writes an outbox row, all in the statement's
 * own transaction. The row lock comes first, so racing retries of one key are serialised by it
 * and the second one finds the first one's message: no unique_violation, no gap.
 *
 * outbox: one row per committed event that subscribers (and push) must hear about. The instance
 * that committed publishes at once and deletes its rows in batches; the row's lease says until
 * when that instance may still do so. After it, any instance's relay publishes the row (a
 * crash between commit and publish loses nothing; subscribers drop the duplicates by sequence).
 */
export class Migration20261201000000_send_pipeline extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table outbox (
        id bigserial primary key,
        kind text not null check (kind in ('message', 'read', 'conversation')),
        message_id uuid null references messages (id) on delete cascade,
        payload jsonb null,
        created_at timestamptz not null default now(),
        lease_until timestamptz not null
      );`);
    this.addSql(`create index outbox_lease_idx on outbox (lease_until, id);`);

    this.addSql(`
      create function send_message(
        p_id uuid, p_conversation_id uuid, p_sender_id uuid, p_type message_type, p_content text,
        p_metadata jsonb, p_client_message_id text, p_image jsonb, p_lease_ms integer
      ) returns table (
        outcome text, id uuid, conversation_id uuid, sequence integer, type message_type, sender_id uuid,
        content text, metadata jsonb, client_message_id text, created_at timestamptz,
        delivered_at timestamptz, read_at timestamptz, previous_status conversation_status,
        participant_a_id uuid, participant_b_id uuid, sender_display_name text, sender_avatar_url text,
        sender_last_seen_at timestamptz, outbox_ids bigint[]
      ) language plpgsql as $fn$
      #variable_conflict use_column
      declare
        v_conversation conversations%rowtype;
        v_sequence integer;
        v_at timestamptz;
        v_outbox bigint[];
      begin
        -- Membership and the lock in one read: only a participant (or the system) may append.
        select c.* into v_conversation from conversations c where c.id = p_conversation_id for update;
        if not found or (p_sender_id is not null
                         and p_sender_id <> v_conversation.participant_a_id
                         and p_sender_id <> v_conversation.participant_b_id) then
          return query select 'NOT_FOUND'::text, null::uuid, null::uuid, null::integer, null::message_type,
            null::uuid, null::text, null::jsonb, null::text, null::timestamptz, null::timestamptz,
            null::timestamptz, null::conversation_status, null::uuid, null::uuid, null::text, null::text,
            null::timestamptz, null::bigint[];
          return;
        end if;

        -- After the lock: a racing attempt with the same key has committed or not begun.
        if p_client_message_id is not null then
          return query
            select 'REPLAYED'::text, m.id, m.conversation_id, m.sequence, m.type, m.sender_id, m.content,
                   m.metadata, m.client_message_id, m.created_at, m.delivered_at, m.read_at,
                   v_conversation.status, v_conversation.participant_a_id, v_conversation.participant_b_id,
                   u.display_name, u.avatar_url, u.last_seen_at, null::bigint[]
            from messages m left join users u on u.id = m.sender_id
            where m.conversation_id = p_conversation_id and m.sender_id = p_sender_id
              and m.client_message_id = p_client_message_id;
          if found then return; end if;
        end if;

        update conversations c set
          last_sequence = c.last_sequence + 1,
          last_message_at = greatest(clock_timestamp(), coalesce(c.last_message_at, '-infinity')),
          updated_at = now(), status = 'ACTIVE', archived_at = null, archived_by_id = null
        where c.id = p_conversation_id
        returning c.last_sequence, c.last_message_at into v_sequence, v_at;

        insert into messages (id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id, created_at, delivered_at)
        values (p_id, p_conversation_id, v_sequence, p_type, p_sender_id, p_content, p_metadata, p_client_message_id, v_at, v_at);

        if p_image is not null then
          insert into message_images
            (id, message_id, status, mime_type, size_bytes, width, height, original_key, preview_key, thumbnail_key, delete_after)
          values ((p_image->>'id')::uuid, p_id, 'READY', p_image->>'mimeType', (p_image->>'sizeBytes')::integer,
                  (p_image->>'width')::integer, (p_image->>'height')::integer, p_image->>'originalKey',
                  p_image->>'previewKey', p_image->>'thumbnailKey', (p_image->>'deleteAfter')::timestamptz);
        end if;

        -- The message, and the conversation's return from the archive when it was archived.
        with written as (
          insert into outbox (kind, message_id, payload, lease_until)
          select o.kind, o.message_id, o.payload, clock_timestamp() + make_interval(secs => p_lease_ms / 1000.0)
          from (values ('message', p_id, null::jsonb, 1),
                       ('conversation', null::uuid, jsonb_build_object(
                          'kind', 'conversation',
                          'event', jsonb_build_object('kind', 'UNARCHIVED', 'conversationId', p_conversation_id),
                          'participantIds', jsonb_build_array(v_conversation.participant_a_id, v_conversation.participant_b_id)), 2)
               ) as o (kind, message_id, payload, position)
          where o.position = 1 or v_conversation.status <> 'ACTIVE'
          order by o.position
          returning outbox.id
        )
        select array_agg(written.id order by written.id) into v_outbox from written;

        return query
          select 'CREATED'::text, p_id, p_conversation_id, v_sequence, p_type, p_sender_id, p_content, p_metadata,
                 p_client_message_id, v_at, v_at, null::timestamptz, v_conversation.status,
                 v_conversation.participant_a_id, v_conversation.participant_b_id,
                 u.display_name, u.avatar_url, u.last_seen_at, v_outbox
          from (select 1) one left join users u on u.id = p_sender_id;
      end
      $fn$;`);

    // Replaced by send_message(): one function for every kind of message.
    this.addSql('drop function if exists append_message(uuid, uuid, message_type, uuid, text, jsonb, text);');
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists send_message(uuid, uuid, uuid, message_type, text, jsonb, text, jsonb, integer);');
    this.addSql('drop table if exists outbox;');
  }
}
