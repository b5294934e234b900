import { Migration } from '@mikro-orm/migrations';

/**
 * append_message(): the whole write of a send in one statement, so that a send costs one
 * round trip to PostgreSQL instead of four (begin, bump, insert, commit).
 *
 * It locks the conversation row, takes the next sequence (gapless: the lock serialises
 * senders of one conversation), reactivates an archived conversation and inserts the message.
 * When the (conversation, sender, clientMessageId) key already exists it raises
 * unique_violation, which rolls the bump back: a racing retry leaves no gap.
 * created_at never goes backwards along the sequence, whatever the clocks did.
 */
export class Migration20261128010000_append_message extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function append_message(
        p_id uuid, p_conversation_id uuid, p_type message_type, p_sender_id uuid,
        p_content text, p_metadata jsonb, p_client_message_id text
      ) returns table (
        id uuid, conversation_id uuid, sequence integer, type message_type, sender_id uuid, content text,
        metadata jsonb, client_message_id text, created_at timestamptz, delivered_at timestamptz,
        read_at timestamptz, previous_status conversation_status
      ) language plpgsql as $fn$
      #variable_conflict use_column
      declare
        v_previous conversation_status;
        v_sequence integer;
        v_at timestamptz;
      begin
        select c.status into v_previous from conversations c where c.id = p_conversation_id for update;
        if not found then
          raise exception 'conversation % not found', p_conversation_id using errcode = 'no_data_found';
        end if;
        update conversations c set
          last_sequence = c.last_sequence + 1,
          last_message_at = greatest(clock_timestamp(), coalesce(c.last_message_at, '-infinity')),
          updated_at = now(), status = 'ACTIVE', archived_at = null, archived_by_id = null
        where c.id = p_conversation_id
        returning c.last_sequence, c.last_message_at into v_sequence, v_at;

        return query
          insert into messages as m (id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id, created_at, delivered_at)
          values (p_id, p_conversation_id, v_sequence, p_type, p_sender_id, p_content, p_metadata, p_client_message_id, v_at, v_at)
          on conflict (conversation_id, sender_id, client_message_id) where client_message_id is not null do nothing
          returning m.id, m.conversation_id, m.sequence, m.type, m.sender_id, m.content, m.metadata,
                    m.client_message_id, m.created_at, m.delivered_at, m.read_at, v_previous;
        if not found then
          raise exception 'client_message_id already used' using errcode = 'unique_violation';
        end if;
      end
      $fn$;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists append_message(uuid, uuid, message_type, uuid, text, jsonb, text);');
  }
}
