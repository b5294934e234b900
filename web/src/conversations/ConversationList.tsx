import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { WebInboxDocument, type ConversationStatus, type WebConversationFragment } from '../gql/graphql';
import { ConversationItem } from './ConversationItem';

const ACTIVE: ConversationStatus[] = ['ACTIVE'];
const ARCHIVED: ConversationStatus[] = ['ARCHIVED', 'AUTO_ARCHIVED'];

/** Most recent activity first, as the `conversations` query orders them (CONTRACT.md). */
export function byActivity(a: WebConversationFragment, b: WebConversationFragment): number {
  return (b.lastMessageAt ?? b.createdAt).localeCompare(a.lastMessageAt ?? a.createdAt) || b.createdAt.localeCompare(a.createdAt);
}

export function ConversationList({ onOpen, onSettings }: { onOpen: (id: string) => void; onSettings: () => void }) {
  const [archived, setArchived] = useState(false);
  const status = archived ? ARCHIVED : ACTIVE;
  const { data, loading, error } = useQuery(WebInboxDocument, { variables: { status, first: 100 } });
  const conversations = (data?.conversations.edges ?? [])
    .map((edge) => edge.node)
    // A message in an archived one makes it ACTIVE again: it leaves this filter at once.
    .filter((conversation) => status.includes(conversation.status))
    .sort(byActivity);

  return (
    <main className="view list-view">
      <header className="bar">
        <h1 tabIndex={-1}>Messages</h1>
        <button type="button" className="icon-button" data-testid="settings-link" onClick={onSettings} aria-label="Notification settings">
          ⚙
        </button>
      </header>
      <div className="filter" role="group" aria-label="Show">
        <button type="button" aria-pressed={!archived} onClick={() => setArchived(false)}>
          Active
        </button>
        <button type="button" aria-pressed={archived} onClick={() => setArchived(true)} data-testid="archived-filter">
          Archived
        </button>
      </div>
      {error && <p role="alert">Could not load conversations.</p>}
      <ul className="conversation-list" data-testid="conversation-list" aria-label={archived ? 'Archived conversations' : 'Conversations'} aria-busy={loading}>
        {conversations.map((conversation) => (
          <ConversationItem key={conversation.id} conversation={conversation} onOpen={onOpen} />
        ))}
        {!loading && conversations.length === 0 && <li className="empty">{archived ? 'No archived conversations.' : 'No conversations yet.'}</li>}
      </ul>
    </main>
  );
}
