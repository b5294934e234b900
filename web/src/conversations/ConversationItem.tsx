import type { WebConversationFragment } from '../gql/graphql';
import { displayName, timeOfDay } from '../lib/format';

function preview(conversation: WebConversationFragment): string {
  const last = conversation.lastMessage;
  if (!last) return 'No messages yet';
  if (last.type === 'IMAGE') return last.content ? `Photo: ${last.content}` : 'Photo';
  return last.content ?? '';
}

export function ConversationItem({ conversation, onOpen }: { conversation: WebConversationFragment; onOpen: (id: string) => void }) {
  const other = conversation.otherParticipant;
  const status = other.presence.status;
  const unread = conversation.unreadCount;
  return (
    <li data-testid="conversation-item" data-conversation-id={conversation.id} className="conversation-item">
      <button type="button" onClick={() => onOpen(conversation.id)} aria-label={`${displayName(other)}, ${status === 'ONLINE' ? 'online' : 'offline'}${unread > 0 ? `, ${unread} unread` : ''}: ${preview(conversation)}`}>
        <span className="avatar" aria-hidden="true">
          {displayName(other).slice(0, 1).toUpperCase()}
          <span
            data-testid="presence-indicator"
            data-status={status}
            className={`presence presence-${status.toLowerCase()}`}
            title={status === 'ONLINE' ? 'Online' : 'Offline'}
          />
        </span>
        <span className="summary">
          <span className="name">{displayName(other)}</span>
          <span className="last-message">{preview(conversation)}</span>
        </span>
        <span className="meta">
          {conversation.lastMessageAt && <time dateTime={conversation.lastMessageAt}>{timeOfDay(conversation.lastMessageAt)}</time>}
          {unread > 0 && (
            <span className="unread-badge" data-testid="unread-badge">
              {unread}
            </span>
          )}
        </span>
      </button>
    </li>
  );
}
