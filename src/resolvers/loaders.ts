import DataLoader from 'dataloader';
import type { Sql, Statement } from '../db/sql';
import type { PresenceTracker } from '../realtime/presence';
import type { PresenceStatus } from '../schema/common/enums';
import type { Conversation } from '../schema/conversation/conversation.entity';
import type { Message, MessageImageView } from '../schema/message/message.entity';
import type { User } from '../schema/user/user.entity';
import { CONVERSATION_COLUMNS, IMAGE_COLUMNS, MESSAGE_COLUMNS, USER_COLUMNS, toConversation, toImage, toMessage, toUser, type Row } from '../services/rows';

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
         where conversation_id = any($1::uuid[]) and sender_id <> $2 and read_at is null group by conversation_id`,
};
const IMAGES: Statement = { name: 'loader_images', text: `select ${IMAGE_COLUMNS} from message_images where message_id = any($1::uuid[])` };

/** Loads rows by a key column; answers them in the order of `keys`, null where none. */
async function byKey<T>(sql: Sql, statement: Statement, keys: readonly string[], keyOf: (row: Row) => string, map: (row: Row) => T): Promise<(T | null)[]> {
  const rows = await sql.query<Row>(statement, [[...keys]]);
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
    user: new DataLoader<string, User | null>((ids) => byKey(sql, USERS, ids, (row) => String(row.id), toUser), { cache }),

    conversation: new DataLoader<string, Conversation | null>((ids) => byKey(sql, CONVERSATIONS, ids, (row) => String(row.id), toConversation), {
      cache,
    }),

    /** The newest message of each conversation, keyed "conversationId:lastSequence". */
    lastMessage: new DataLoader<string, Message | null>(
      async (keys) => {
        const pairs = keys.map((key) => key.split(':'));
        const rows = await sql.query<Row>(LAST_MESSAGES, [pairs.map((p) => p[0]), pairs.map((p) => Number(p[1]))]);
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

    image: new DataLoader<string, MessageImageView | null>((messageIds) => byKey(sql, IMAGES, messageIds, (row) => String(row.message_id), toImage), {
      cache,
    }),

    presence: new DataLoader<string, PresenceStatus>((userIds) => presence.statusOf(userIds), { cache }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
