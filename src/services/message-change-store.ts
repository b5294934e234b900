import type { Sql, Statement } from '../db/sql';
import type { MessageType } from '../schema/common/enums';
import type { MessageFlag } from '../schema/common/safety-enums';
import type { Message } from '../schema/message/message.entity';
import { date, dateOrNull } from '../db/rows/row-values';
import { FULL_MESSAGE_SELECT, REACTION_GROUPS_OF_ONE, groupReactions, toFullMessage, type FullMessageRow, type ReactionGroupRow, type Row } from './rows';

/** The message a change is about, read under the conversation's row lock. */
export interface ChangeTarget {
  id: string;
  conversationId: string;
  type: MessageType;
  senderId: string | null;
  content: string | null;
  createdAt: Date;
  deletedAt: Date | null;
  participantIds: [string, string];
  /** The stored image objects of an IMAGE message (none once deleted or expired). */
  imageKeys: string[];
}

// `for update of c`: the row lock that send_message() takes, so a change's revision is handed
// out in the same order as the commits, as sequences are.
const LOCK: Statement = {
  name: 'change_lock',
  text: `select m.id, m.conversation_id, m.type, m.sender_id, m.content, m.created_at, m.deleted_at,
                c.participant_a_id, c.participant_b_id, i.original_key, i.preview_key, i.thumbnail_key
         from messages m join conversations c on c.id = m.conversation_id
         left join message_images i on i.message_id = m.id
         where m.id = $1 for update of c`,
};
const NEXT_REVISION: Statement = {
  name: 'change_next_revision',
  text: `with bumped as (update conversations set last_revision = last_revision + 1 where id = $1 returning last_revision)
         update messages set revision = (select last_revision from bumped) where id = $2 returning revision`,
};
const KEEP_VERSION: Statement = {
  name: 'change_keep_version',
  text: `insert into message_edits (message_id, content) select id, content from messages where id = $1`,
};
// The flags are detection's findings on the new text (an edit can add or clear them), passed
// as a JSON array: this runs through EmSql, where MikroORM would inline a JS array as a list.
const EDIT: Statement = {
  name: 'change_edit',
  text: `update messages set content = $1, flags = array(select jsonb_array_elements_text($2::jsonb)), edited_at = clock_timestamp() where id = $3`,
};
const TOMBSTONE: Statement = {
  name: 'change_delete',
  text: `with gone as (delete from message_reactions where message_id = $1),
              image as (update message_images set status = 'DELETED', original_key = null, preview_key = null, thumbnail_key = null where message_id = $2)
         update messages set content = null, metadata = '{}', flags = '{}', deleted_at = clock_timestamp() where id = $3`,
};
const REACTION_STATE: Statement = {
  name: 'change_reaction_state',
  text: `select count(distinct emoji) as distinct_emoji, coalesce(bool_or(emoji = $1), false) as emoji_present
         from message_reactions where message_id = $2`,
};
const ADD_REACTION: Statement = {
  name: 'change_add_reaction',
  text: `insert into message_reactions (message_id, user_id, emoji) values ($1, $2, $3) on conflict do nothing returning emoji`,
};
const REMOVE_REACTION: Statement = {
  name: 'change_remove_reaction',
  text: `delete from message_reactions where message_id = $1 and user_id = $2 and emoji = $3 returning emoji`,
};
const STATE: Statement = { name: 'change_state', text: `${FULL_MESSAGE_SELECT} where m.id = $1` };

/**
 * The SQL of message changes (edit, delete, reactions), run inside one transaction of the
 * send pipeline's `change` (see send-pipeline.ts). Not a hot path: MikroORM's transaction.
 */
export class MessageChangeStore {
  /** Locks the message's conversation and reads the message; null when there is none. */
  async lock(sql: Sql, messageId: string): Promise<ChangeTarget | null> {
    const [row] = await sql.query<Row>(LOCK, [messageId]);
    if (!row) return null;
    return {
      id: String(row.id),
      conversationId: String(row.conversation_id),
      type: row.type as MessageType,
      senderId: row.sender_id ? String(row.sender_id) : null,
      content: (row.content as string | null) ?? null,
      createdAt: date(row.created_at as string),
      deletedAt: dateOrNull(row.deleted_at as string | null),
      participantIds: [String(row.participant_a_id), String(row.participant_b_id)],
      imageKeys: [row.original_key, row.preview_key, row.thumbnail_key].filter((key): key is string => typeof key === 'string'),
    };
  }

  /** Takes the conversation's next revision (under the lock of `lock`) and gives it to the message. */
  async nextRevision(sql: Sql, target: ChangeTarget): Promise<void> {
    await sql.query(NEXT_REVISION, [target.conversationId, target.id]);
  }

  /** Keeps the current content as an earlier version, then replaces it and its flags. */
  async edit(sql: Sql, messageId: string, content: string | null, flags: MessageFlag[]): Promise<void> {
    await sql.query(KEEP_VERSION, [messageId]);
    await sql.query(EDIT, [content, JSON.stringify(flags), messageId]);
  }

  /** Leaves a tombstone: the content is kept as an earlier version; reactions and image rows emptied. */
  async tombstone(sql: Sql, messageId: string): Promise<void> {
    await sql.query(KEEP_VERSION, [messageId]);
    await sql.query(TOMBSTONE, [messageId, messageId, messageId]);
  }

  /** How many distinct emoji the message has, and whether `emoji` is one of them. */
  async reactionState(sql: Sql, messageId: string, emoji: string): Promise<{ distinct: number; present: boolean }> {
    const [row] = await sql.query<Row>(REACTION_STATE, [emoji, messageId]);
    return { distinct: Number(row.distinct_emoji), present: row.emoji_present === true };
  }

  /** Answers whether the reaction is new. */
  async addReaction(sql: Sql, messageId: string, userId: string, emoji: string): Promise<boolean> {
    return (await sql.query(ADD_REACTION, [messageId, userId, emoji])).length > 0;
  }

  /** Answers whether there was such a reaction. */
  async removeReaction(sql: Sql, messageId: string, userId: string, emoji: string): Promise<boolean> {
    return (await sql.query(REMOVE_REACTION, [messageId, userId, emoji])).length > 0;
  }

  /** The message as subscribers and the answer show it: sender, image and reactions included. */
  async state(sql: Sql, messageId: string): Promise<Message> {
    const [row] = await sql.query<FullMessageRow>(STATE, [messageId]);
    const message = toFullMessage(row);
    const reactions = await sql.query<ReactionGroupRow>({ name: 'change_reactions', text: REACTION_GROUPS_OF_ONE }, [messageId]);
    message.reactionRows = groupReactions(reactions).get(messageId) ?? [];
    return message;
  }
}
