import type { Sql, Statement } from '../../db/sql';
import type { Row } from '../rows';

// Each direction is one probe of the primary key (blocker_id, blocked_id). Placeholders are used
// once and in order (db/sql.ts), so the values enter through a one-row `p`.
const CONVERSATION_BLOCKED: Statement = {
  name: 'blocks_conversation',
  text: `select exists (
           select 1 from (select $1::uuid as conversation_id, $2::uuid as user_id) p
           join conversations c on c.id = p.conversation_id and p.user_id in (c.participant_a_id, c.participant_b_id)
           join user_blocks b
             on (b.blocker_id = c.participant_a_id and b.blocked_id = c.participant_b_id)
             or (b.blocker_id = c.participant_b_id and b.blocked_id = c.participant_a_id)
         ) as blocked`,
};

const PAIR_BLOCKED: Statement = {
  name: 'blocks_pair',
  text: `select exists (
           select 1 from (select $1::uuid as x, $2::uuid as y) p
           join user_blocks b on (b.blocker_id = p.x and b.blocked_id = p.y) or (b.blocker_id = p.y and b.blocked_id = p.x)
         ) as blocked`,
};

// One statement for a page of users: which of them the viewer blocks, and which block the viewer.
const RELATIONS: Statement = {
  name: 'blocks_relations',
  text: `with p as (select $1::uuid as viewer, $2::uuid[] as others)
         select b.blocked_id as other, true as by_viewer from p join user_blocks b on b.blocker_id = p.viewer and b.blocked_id = any(p.others)
         union all
         select b.blocker_id as other, false as by_viewer from p join user_blocks b on b.blocked_id = p.viewer and b.blocker_id = any(p.others)`,
};

/** How the viewer and one other user stand. */
export interface BlockRelation {
  /** Either of the two blocks the other. */
  isBlocked: boolean;
  /** The viewer blocks the other. */
  blockedByViewer: boolean;
}

const NONE: BlockRelation = { isBlocked: false, blockedByViewer: false };

/** user_blocks as the hot paths read it: typed answers, bind parameters. */
export const blockStore = {
  /** True when `userId` is a participant of the conversation and either participant blocks the other. */
  async conversationBlocked(sql: Sql, conversationId: string, userId: string): Promise<boolean> {
    const [row] = await sql.query<Row>(CONVERSATION_BLOCKED, [conversationId, userId]);
    return row?.blocked === true;
  },

  async pairBlocked(sql: Sql, a: string, b: string): Promise<boolean> {
    const [row] = await sql.query<Row>(PAIR_BLOCKED, [a, b]);
    return row?.blocked === true;
  },

  /** The relation of the viewer with each of `others`, in their order. */
  async relations(sql: Sql, viewerId: string, others: readonly string[]): Promise<BlockRelation[]> {
    const rows = await sql.query<Row>(RELATIONS, [viewerId, [...others]]);
    const byOther = new Map<string, BlockRelation>();
    for (const row of rows) {
      const other = String(row.other);
      const known = byOther.get(other) ?? { isBlocked: true, blockedByViewer: false };
      if (row.by_viewer === true) known.blockedByViewer = true;
      byOther.set(other, known);
    }
    return others.map((other) => byOther.get(other) ?? NONE);
  },
};
