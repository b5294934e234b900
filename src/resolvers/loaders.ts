import DataLoader from 'dataloader';
import type { QueryResultRow } from 'pg';
import type { Sql, Statement } from '../db/sql';
import type { PresenceTracker } from '../realtime/presence';
import type { PresenceStatus } from '../schema/common/enums';
import type { ConversationView } from '../schema/conversation/conversation.view';
import type { Message, MessageImageView, ReactionRow } from '../schema/message/message.entity';
import type { User } from '../schema/user/user.entity';
import { blockStore, type BlockRelation } from '../services/blocks/block-store';
import type { EvidenceMessage } from '../schema/report/report.types';
import { EVIDENCE_COLUMNS, toEvidence } from '../services/reports/report-rows';
import { CONVERSATION_COLUMNS, IMAGE_COLUMNS, MESSAGE_COLUMNS, USER_COLUMNS, toConversation, toImage, toMessage, toUser, groupReactions, REACTION_GROUPS_OF_MANY, type ReactionGroupRow, type ConversationRow, type ImageRow, type MessageRow, type Row, type UserRow } from '../services/rows';

// Through the hot-path pool (bind values, prepared where allowed): every request resolves its
// viewer or a sender, and MikroORM's find costs more CPU than the query itself.
const USERS: Statement = { name: 'loader_users', text: `select ${USER_COLUMNS} from users where id = any($1::uuid[])` };
const CONVERSATIONS: Statement = { name: 'loader_conversations', text: `select ${CONVERSATION_COLUMNS} from conversations where id = any($1::uuid[])` };
const LAST_MESSAGES: Statement = {
  name: 'loader_last_messages',
  text: `select ${MESSAGE_COLUMNS} from messages where (conversation_id, sequence) in (select * from unnest($1::uuid[], $2::int[]))`,
};
const UNREAD_COUNTS: Statement = {
  name: 'loader_unread_counts',
  text: `select conversation_id, count(*) as unread from messages
         where conversation_id = any($1::uuid[]) and sender_id <> $2 and read_at is null and deleted_at is null group by conversation_id`,
};
const EVIDENCE: Statement = {
  name: 'loader_report_evidence',
  text: `select ${EVIDENCE_COLUMNS} from report_evidence where report_id = any($1::uuid[]) order by report_id, sequence`,
};
const MESSAGES: Statement = { name: 'loader_messages', text: `select ${MESSAGE_COLUMNS} from messages where id = any($1::uuid[])` };
const REACTIONS: Statement = { name: 'loader_reactions', text: REACTION_GROUPS_OF_MANY };
const IMAGES: Statement = { name: 'loader_images', text: `select ${IMAGE_COLUMNS} from message_images where message_id = any($1::uuid[])` };

/** Loads rows by a key column; answers them in the order of `keys`, null where none. */
async function byKey<R extends QueryResultRow, T>(sql: Sql, statement: Statement, keys: readonly string[], keyOf: (row: R) => string, map: (row: R) => T): Promise<(T | null)[]> {
  const rows = await sql.query<R>(statement, [[...keys]]);
  const found = new Map(rows.map((row) => [keyOf(row), map(row)]));
  return keys.map((key) => found.get(key) ?? null);
}

/**
 * Per-request batch loaders (never shared between viewers): each list field costs one SQL
 * statement per request, whatever the page size. `cache: false` serves long-lived WebSocket
 * contexts, where cached rows would go stale.
 */
export function createLoaders(sql: Sql, viewerId: string | null, presence: PresenceTracker, cache = true) {
  return {
    user: new DataLoader<string, User | null>((ids) => byKey(sql, USERS, ids, (row: UserRow) => row.id, toUser), { cache }),

    conversation: new DataLoader<string, ConversationView | null>((ids) => byKey(sql, CONVERSATIONS, ids, (row: ConversationRow) => row.id, toConversation), {
      cache,
    }),

    /** The newest message of each conversation, keyed "conversationId:lastSequence". */
    lastMessage: new DataLoader<string, Message | null>(
      async (keys) => {
        const pairs = keys.map((key) => key.split(':'));
        const rows = await sql.query<MessageRow>(LAST_MESSAGES, [pairs.map((p) => p[0]), pairs.map((p) => Number(p[1]))]);
        const byKey = new Map(rows.map((row) => [`${row.conversation_id}:${row.sequence}`, toMessage(row)]));
        return keys.map((key) => byKey.get(key) ?? null);
      },
      { cache },
    ),

    /** The viewer's unread count per conversation (messages_unread_idx). */
    unreadCount: new DataLoader<string, number>(
      async (conversationIds) => {
        if (!viewerId) return conversationIds.map(() => 0);
        const rows = await sql.query<Row>(UNREAD_COUNTS, [[...conversationIds], viewerId]);
        const byId = new Map(rows.map((row) => [String(row.conversation_id), Number(row.unread)]));
        return conversationIds.map((id) => byId.get(id) ?? 0);
      },
      { cache },
    ),

    image: new DataLoader<string, MessageImageView | null>((messageIds) => byKey(sql, IMAGES, messageIds, (row: ImageRow & { message_id: string }) => row.message_id, toImage), {
      cache,
    }),

    /** A report's evidence, oldest first (the moderation queue shows a page of reports at once). */
    reportEvidence: new DataLoader<string, EvidenceMessage[]>(
      async (reportIds) => {
        const rows = await sql.query<Row>(EVIDENCE, [[...reportIds]]);
        const byReport = new Map<string, EvidenceMessage[]>(reportIds.map((id) => [id, []]));
        for (const row of rows) byReport.get(String(row.report_id))?.push(toEvidence(row));
        return reportIds.map((id) => byReport.get(id) ?? []);
      },
      { cache },
    ),

    /** Messages by id (replyTo: the answered message, a tombstone shows as one). */
    message: new DataLoader<string, Message | null>((ids) => byKey(sql, MESSAGES, ids, (row: MessageRow) => row.id, toMessage), { cache }),

    /** Each message's reaction groups, the most used first: one statement for a page. */
    reactions: new DataLoader<string, ReactionRow[]>(
      async (messageIds) => {
        const groups = groupReactions(await sql.query<ReactionGroupRow>(REACTIONS, [[...messageIds]]));
        return messageIds.map((id) => groups.get(id) ?? []);
      },
      { cache },
    ),

    /** How the viewer and each other user stand (user_blocks): isBlocked, blockedByViewer, hidden presence. */
    blockRelation: new DataLoader<string, BlockRelation>(
      (userIds) => (viewerId ? blockStore.relations(sql, viewerId, userIds) : Promise.resolve(userIds.map(() => ({ isBlocked: false, blockedByViewer: false })))),
      { cache },
    ),

    presence: new DataLoader<string, PresenceStatus>((userIds) => presence.statusOf(userIds), { cache }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
