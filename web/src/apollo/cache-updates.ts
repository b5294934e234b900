import type { ApolloCache, Reference } from '@apollo/client';
import { WebMessageFragmentDoc, type WebMessageFragment } from '../gql/graphql';

interface StoredEdge {
  __typename?: string;
  cursor: string;
  node: Reference;
}
interface StoredConnection {
  edges: StoredEdge[];
  pageInfo: unknown;
}

/**
 * Puts a message (an answer to a send, or one from a subscription) into its conversation's
 * loaded history, once, in sequence order, and makes it the conversation's last message. The
 * one place where live messages join the list, so every path dedupes the same way (by id).
 */
export function addMessageToCache(cache: ApolloCache, message: WebMessageFragment): void {
  const ref = cache.writeFragment({ fragment: WebMessageFragmentDoc, fragmentName: 'WebMessage', data: message });
  if (!ref) return;
  const conversationRef = cache.identify({ __typename: 'Conversation', id: message.conversationId });
  cache.modify<{ messages: StoredConnection | undefined; lastMessage: Reference | null; lastMessageAt: string | null }>({
    id: conversationRef,
    fields: {
      messages(stored, { readField }) {
        // relayStylePagination keeps the list as a plain object of edges, never as a Reference.
        const existing = stored as StoredConnection | undefined;
        if (!existing) return stored;
        if (existing.edges.some((edge) => readField('id', edge.node) === message.id)) return existing;
        const edges = [...existing.edges];
        let at = edges.length;
        while (at > 0 && (readField<number>('sequence', edges[at - 1].node) ?? 0) > message.sequence) at--;
        // No cursor for a live message: paging goes backwards from the first page's startCursor only,
        // and an edge without the field would leave the history query incomplete (then refetched).
        edges.splice(at, 0, { __typename: 'MessageEdge', cursor: '', node: ref as Reference });
        return { ...existing, edges };
      },
      lastMessage(existing: Reference | null, { readField }) {
        const current = existing ? readField<number>('sequence', existing) : undefined;
        return current !== undefined && current > message.sequence ? existing : ref;
      },
      lastMessageAt(existing: string | null) {
        return existing && existing > message.createdAt ? existing : message.createdAt;
      },
    },
  });
}

/** A message of the other participant arrived in a conversation whose thread is not open. */
export function incrementUnread(cache: ApolloCache, conversationId: string): void {
  cache.modify({
    id: cache.identify({ __typename: 'Conversation', id: conversationId }),
    fields: { unreadCount: (count: number) => count + 1 },
  });
}

export function markMessagesRead(cache: ApolloCache, messageIds: readonly string[], readAt: string): void {
  for (const id of messageIds) {
    cache.modify({ id: cache.identify({ __typename: 'Message', id }), fields: { readAt: () => readAt } });
  }
}

export function setPresence(cache: ApolloCache, userId: string, status: string, lastSeenAt: string | null): void {
  cache.modify({
    id: cache.identify({ __typename: 'User', id: userId }),
    fields: { presence: (existing: object) => ({ ...existing, __typename: 'Presence', status, lastSeenAt }) },
  });
}
