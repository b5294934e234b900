import { Migration } from '@mikro-orm/migrations';

/**
 * send_message() refuses a send between a blocked pair itself (outcome BLOCKED), under the
 * conversation's row lock. The block check used to be a statement of its own before every send:
 * one more round trip to PostgreSQL, which bench:api measured as part of a 34% slower send
 * (docs/performance.md). Same signature and answer columns; down restores the version without it.
 */
const WITH_BLOCKS = `

  create or replace function send_message(
    p_id uuid, p_conversation_id uuid, p_sender_id uuid, p_type message_type, p_content text,
    p_metadata jsonb, p_client_message_id text, p_image jsonb, p_lease_ms integer,
    p_reply_to_id uuid, p_flags text[]
  ) returns table (
    outcome text, id uuid, conversation_id uuid, sequence integer, type message_type, sender_id uuid,
    content text, metadata jsonb, client_message_id text, created_at timestamptz,
    delivered_at timestamptz, read_at timestamptz, reply_to_id uuid, edited_at timestamptz,
    deleted_at timestamptz, revision integer, previous_status conversation_status,
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
        null::timestamptz, null::uuid, null::timestamptz, null::timestamptz, null::integer,
        null::conversation_status, null::uuid, null::uuid, null::text, null::text,
        null::timestamptz, null::bigint[];
      return;
    end if;

    -- Blocks, either way, under the lock (a block committed before this send refuses it): in
    -- this statement rather than one before it, so a send stays one round trip.
    if p_sender_id is not null and exists (
      select 1 from user_blocks b
      where (b.blocker_id = v_conversation.participant_a_id and b.blocked_id = v_conversation.participant_b_id)
         or (b.blocker_id = v_conversation.participant_b_id and b.blocked_id = v_conversation.participant_a_id)
    ) then
      return query select 'BLOCKED'::text, null::uuid, null::uuid, null::integer, null::message_type,
        null::uuid, null::text, null::jsonb, null::text, null::timestamptz, null::timestamptz,
        null::timestamptz, null::uuid, null::timestamptz, null::timestamptz, null::integer,
        null::conversation_status, null::uuid, null::uuid, null::text, null::text,
        null::timestamptz, null::bigint[];
      return;
    end if;

    -- After the lock: a racing attempt with the same key has committed or not begun.
    if p_client_message_id is not null then
      return query
        select 'REPLAYED'::text, m.id, m.conversation_id, m.sequence, m.type, m.sender_id, m.content,
               m.metadata, m.client_message_id, m.created_at, m.delivered_at, m.read_at,
               m.reply_to_id, m.edited_at, m.deleted_at, m.revision,
               v_conversation.status, v_conversation.participant_a_id, v_conversation.participant_b_id,
               u.display_name, u.avatar_url, u.last_seen_at, null::bigint[]
        from messages m left join users u on u.id = m.sender_id
        where m.conversation_id = p_conversation_id and m.sender_id = p_sender_id
          and m.client_message_id = p_client_message_id;
      if found then return; end if;
    end if;

    -- A reply names a message of this conversation (a tombstone included): never another one's.
    if p_reply_to_id is not null and not exists (
      select 1 from messages r where r.id = p_reply_to_id and r.conversation_id = p_conversation_id
    ) then
      return query select 'BAD_REPLY'::text, null::uuid, null::uuid, null::integer, null::message_type,
        null::uuid, null::text, null::jsonb, null::text, null::timestamptz, null::timestamptz,
        null::timestamptz, null::uuid, null::timestamptz, null::timestamptz, null::integer,
        null::conversation_status, null::uuid, null::uuid, null::text, null::text,
        null::timestamptz, null::bigint[];
      return;
    end if;

    update conversations c set
      last_sequence = c.last_sequence + 1,
      last_message_at = greatest(clock_timestamp(), coalesce(c.last_message_at, '-infinity')),
      updated_at = now(), status = 'ACTIVE', archived_at = null, archived_by_id = null
    where c.id = p_conversation_id
    returning c.last_sequence, c.last_message_at into v_sequence, v_at;

    insert into messages (id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id,
                          created_at, delivered_at, reply_to_id, flags)
    values (p_id, p_conversation_id, v_sequence, p_type, p_sender_id, p_content, p_metadata, p_client_message_id,
            v_at, v_at, p_reply_to_id, coalesce(p_flags, '{}'));

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
             p_client_message_id, v_at, v_at, null::timestamptz, p_reply_to_id, null::timestamptz, null::timestamptz, 0,
             v_conversation.status, v_conversation.participant_a_id, v_conversation.participant_b_id,
             u.display_name, u.avatar_url, u.last_seen_at, v_outbox
      from (select 1) one left join users u on u.id = p_sender_id;
  end
  $fn$;`;

const WITHOUT_BLOCKS = `

  create or replace function send_message(
    p_id uuid, p_conversation_id uuid, p_sender_id uuid, p_type message_type, p_content text,
    p_metadata jsonb, p_client_message_id text, p_image jsonb, p_lease_ms integer,
    p_reply_to_id uuid, p_flags text[]
  ) returns table (
    outcome text, id uuid, conversation_id uuid, sequence integer, type message_type, sender_id uuid,
    content text, metadata jsonb, client_message_id text, created_at timestamptz,
    delivered_at timestamptz, read_at timestamptz, reply_to_id uuid, edited_at timestamptz,
    deleted_at timestamptz, revision integer, previous_status conversation_status,
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
        null::timestamptz, null::uuid, null::timestamptz, null::timestamptz, null::integer,
        null::conversation_status, null::uuid, null::uuid, null::text, null::text,
        null::timestamptz, null::bigint[];
      return;
    end if;

    -- After the lock: a racing attempt with the same key has committed or not begun.
    if p_client_message_id is not null then
      return query
        select 'REPLAYED'::text, m.id, m.conversation_id, m.sequence, m.type, m.sender_id, m.content,
               m.metadata, m.client_message_id, m.created_at, m.delivered_at, m.read_at,
               m.reply_to_id, m.edited_at, m.deleted_at, m.revision,
               v_conversation.status, v_conversation.participant_a_id, v_conversation.participant_b_id,
               u.display_name, u.avatar_url, u.last_seen_at, null::bigint[]
        from messages m left join users u on u.id = m.sender_id
        where m.conversation_id = p_conversation_id and m.sender_id = p_sender_id
          and m.client_message_id = p_client_message_id;
      if found then return; end if;
    end if;

    -- A reply names a message of this conversation (a tombstone included): never another one's.
    if p_reply_to_id is not null and not exists (
      select 1 from messages r where r.id = p_reply_to_id and r.conversation_id = p_conversation_id
    ) then
      return query select 'BAD_REPLY'::text, null::uuid, null::uuid, null::integer, null::message_type,
        null::uuid, null::text, null::jsonb, null::text, null::timestamptz, null::timestamptz,
        null::timestamptz, null::uuid, null::timestamptz, null::timestamptz, null::integer,
        null::conversation_status, null::uuid, null::uuid, null::text, null::text,
        null::timestamptz, null::bigint[];
      return;
    end if;

    update conversations c set
      last_sequence = c.last_sequence + 1,
      last_message_at = greatest(clock_timestamp(), coalesce(c.last_message_at, '-infinity')),
      updated_at = now(), status = 'ACTIVE', archived_at = null, archived_by_id = null
    where c.id = p_conversation_id
    returning c.last_sequence, c.last_message_at into v_sequence, v_at;

    insert into messages (id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id,
                          created_at, delivered_at, reply_to_id, flags)
    values (p_id, p_conversation_id, v_sequence, p_type, p_sender_id, p_content, p_metadata, p_client_message_id,
            v_at, v_at, p_reply_to_id, coalesce(p_flags, '{}'));

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
             p_client_message_id, v_at, v_at, null::timestamptz, p_reply_to_id, null::timestamptz, null::timestamptz, 0,
             v_conversation.status, v_conversation.participant_a_id, v_conversation.participant_b_id,
             u.display_name, u.avatar_url, u.last_seen_at, v_outbox
      from (select 1) one left join users u on u.id = p_sender_id;
  end
  $fn$;`;

export class Migration20261203030000_send_message_blocks extends Migration {
  override async up(): Promise<void> {
    this.addSql(WITH_BLOCKS);
  }

  override async down(): Promise<void> {
    this.addSql(WITHOUT_BLOCKS);
  }
}
