import type { ReactionRow } from '../../schema/message/message.entity';

/**
 * `message_reactions` grouped per (message, emoji): who reacted, in the order they did; groups
 * the most used first, then the earliest. Forms of one statement: the pool takes an array
 * bind parameter (`any($1::uuid[])`), a MikroORM transaction one id, and the export every
 * message of a JSON array of conversation ids (MikroORM's `?`).
 */
const GROUPS = `select message_id, emoji, array_agg(user_id::text order by created_at, user_id) as user_ids
  from message_reactions where %WHERE%
  group by message_id, emoji order by message_id, count(*) desc, min(created_at), emoji`;

export const REACTION_GROUPS_OF_MANY = GROUPS.replace('%WHERE%', 'message_id = any($1::uuid[])');
export const REACTION_GROUPS_OF_ONE = GROUPS.replace('%WHERE%', 'message_id = $1');
export const REACTION_GROUPS_OF_CONVERSATIONS = GROUPS.replace(
  '%WHERE%',
  'message_id in (select id from messages where conversation_id in (select jsonb_array_elements_text(?::jsonb)::uuid))',
);

export interface ReactionGroupRow {
  message_id: string;
  emoji: string;
  user_ids: string[];
}

/** The rows of REACTION_GROUPS_* by message id, each list in the statement's order. */
export function groupReactions(rows: ReactionGroupRow[]): Map<string, ReactionRow[]> {
  const byMessage = new Map<string, ReactionRow[]>();
  for (const row of rows) {
    const groups = byMessage.get(String(row.message_id)) ?? [];
    groups.push({ emoji: row.emoji, userIds: row.user_ids.map(String) });
    byMessage.set(String(row.message_id), groups);
  }
  return byMessage;
}
