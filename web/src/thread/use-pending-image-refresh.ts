import type { ApolloClient } from '@apollo/client';
import { useEffect } from 'react';
import { WebMessageFragmentDoc, WebMessagesDocument, type WebMessageFragment } from '../gql/graphql';
import { useSession } from '../session/api-context';

/**
 * Reads the latest `last` messages again and updates each one in the cache by id (readAt,
 * image status), without replacing the loaded history as a refetch of the page would.
 */
export async function refreshLatestMessages(apollo: ApolloClient, conversationId: string, last: number): Promise<void> {
  const { data } = await apollo
    .query({ query: WebMessagesDocument, variables: { conversationId, last: Math.max(1, Math.min(100, last)) }, fetchPolicy: 'no-cache' })
    .catch(() => ({ data: undefined }));
  for (const edge of data?.conversation.messages.edges ?? []) {
    apollo.cache.writeFragment({ fragment: WebMessageFragmentDoc, fragmentName: 'WebMessage', data: edge.node });
  }
}

const EVERY_MS = 2000;

/** An image still PENDING is read again until it is READY (CONTRACT.md). */
export function usePendingImageRefresh(conversationId: string, messages: readonly WebMessageFragment[]): void {
  const { api } = useSession();
  const pending = messages.filter((m) => m.image?.status === 'PENDING');
  const oldest = pending[0]?.sequence;
  const newest = messages[messages.length - 1]?.sequence ?? 0;
  useEffect(() => {
    if (oldest === undefined) return undefined;
    const timer = setInterval(() => void refreshLatestMessages(api.apollo, conversationId, newest - oldest + 1), EVERY_MS);
    return () => clearInterval(timer);
  }, [api, conversationId, oldest, newest]);
}
