import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PresenceTracker } from '../realtime/presence';
import type { PresenceStatus } from '../schema/common/enums';
import { Conversation } from '../schema/conversation/conversation.entity';
import { MessageImage } from '../schema/message/message-image.entity';
import type { Message } from '../schema/message/message.entity';
import { User } from '../schema/user/user.entity';
import { MESSAGE_COLUMNS, toMessage, type Row } from '../services/rows';

/**
 * Per-request batch loaders (never shared between viewers): each list field costs one SQL
 * statement per request, whatever the page size. `cache: false` serves long-lived WebSocket
 * contexts, where cached rows would go stale.
 */
export function createLoaders(em: EntityManager, viewerId: string | null, presence: PresenceTracker, cache = true) {
  return {
    user: new DataLoader<string, User | null>(
      async (ids) => {
        const users = await em.find(User, { id: { $in: [...ids] } });
        const byId = new Map(users.map((u) => [u.id, u]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { cache },
    ),

    conversation: new DataLoader<string, Conversation | null>(
      async (ids) => {
        const conversations = await em.find(Conversation, { id: { $in: [...ids] } });
        const byId = new Map(conversations.map((c) => [c.id, c]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { cache },
    ),

    /** The newest message of each conversation, keyed "conversationId:lastSequence". */
    lastMessage: new DataLoader<string, Message | null>(
      async (keys) => {
        const pairs = keys.map((key) => key.split(':'));
        const rows: Row[] = await em.execute(
          `select ${MESSAGE_COLUMNS} from messages
           where (conversation_id, sequence) in (select * from unnest(?::uuid[], ?::int[]))`,
          [`{${pairs.map((p) => p[0]).join(',')}}`, `{${pairs.map((p) => p[1]).join(',')}}`],
        );
        const byKey = new Map(rows.map((row) => [`${row.conversation_id}:${row.sequence}`, toMessage(row)]));
        return keys.map((key) => byKey.get(key) ?? null);
      },
      { cache },
    ),

    /** The viewer's unread count per conversation (messages_unread_idx). */
    unreadCount: new DataLoader<string, number>(
      async (conversationIds) => {
        if (!viewerId) return conversationIds.map(() => 0);
        const rows: Row[] = await em.execute(
          `select conversation_id, count(*) as unread from messages
           where conversation_id = any(?::uuid[]) and sender_id <> ? and read_at is null
           group by conversation_id`,
          [`{${conversationIds.join(',')}}`, viewerId],
        );
        const byId = new Map(rows.map((row) => [String(row.conversation_id), Number(row.unread)]));
        return conversationIds.map((id) => byId.get(id) ?? 0);
      },
      { cache },
    ),

    image: new DataLoader<string, MessageImage | null>(
      async (messageIds) => {
        const images = await em.find(MessageImage, { message: { $in: [...messageIds] } });
        const byMessage = new Map(images.map((image) => [image.message.id, image]));
        return messageIds.map((id) => byMessage.get(id) ?? null);
      },
      { cache },
    ),

    presence: new DataLoader<string, PresenceStatus>((userIds) => presence.statusOf(userIds), { cache }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
