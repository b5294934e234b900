import type { ApolloClient } from '@apollo/client';
import { useEffect, useRef } from 'react';
import { PendingMessageChangesFragmentDoc, PendingMessageUpdatedDocument, type PendingMessageChangesFragment } from './gql/graphql';

/**
 * Edits, deletions and reactions of one conversation, live, written into the cache by id.
 * Like messageReceived by sequence, it resumes by revision: after every reconnect
 * (`generation`) it subscribes again with afterRevision = the highest revision seen, so no
 * change is missed and none is applied twice (an older revision never overwrites a newer one).
 */
export function useMessageUpdates(apollo: ApolloClient, conversationId: string, generation: number, initialRevision: number): void {
  const highest = useRef(initialRevision);
  highest.current = Math.max(highest.current, initialRevision);
  useEffect(() => {
    const subscription = apollo
      .subscribe({ query: PendingMessageUpdatedDocument, variables: { conversationId, afterRevision: highest.current } })
      .subscribe(({ data }) => {
        const message = data?.messageUpdated;
        if (message) applyMessageChange(apollo, message, highest);
      });
    return () => subscription.unsubscribe();
  }, [apollo, conversationId, generation]);
}

export function applyMessageChange(apollo: ApolloClient, message: PendingMessageChangesFragment, highest: { current: number }): boolean {
  const id = apollo.cache.identify({ __typename: 'Message', id: message.id });
  const current = apollo.cache.readFragment({ id, fragment: PendingMessageChangesFragmentDoc, fragmentName: 'PendingMessageChanges' });
  if (current && current.revision >= message.revision) return false;
  apollo.cache.writeFragment({ id, fragment: PendingMessageChangesFragmentDoc, fragmentName: 'PendingMessageChanges', data: message });
  highest.current = Math.max(highest.current, message.revision);
  return true;
}
