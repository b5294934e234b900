import type { ApolloClient } from '@apollo/client';
import { useEffect, useRef } from 'react';
import { WebMessageChangesFragmentDoc, WebMessageUpdatedDocument, type WebMessageChangesFragment } from '../gql/graphql';

/**
 * Edits, deletions and reactions of one conversation, live, written into the cache by id.
 * Like messageReceived by sequence, it resumes by revision: after every reconnect
 * (`generation`) it subscribes again with afterRevision = the highest revision seen, so no
 * change is missed and none is applied twice (an older revision never overwrites a newer one).
 * `enabled` waits for the first page, whose revisions say where to start.
 */
export function useMessageUpdates(apollo: ApolloClient, conversationId: string, generation: number, initialRevision: number, enabled = true): void {
  const highest = useRef(initialRevision);
  highest.current = Math.max(highest.current, initialRevision);
  useEffect(() => {
    if (!enabled) return undefined;
    const subscription = apollo
      .subscribe({ query: WebMessageUpdatedDocument, variables: { conversationId, afterRevision: highest.current } })
      .subscribe(({ data }) => {
        const message = data?.messageUpdated;
        if (message) applyMessageChange(apollo, message, highest);
      });
    return () => subscription.unsubscribe();
  }, [apollo, conversationId, generation, enabled]);
}

export function applyMessageChange(apollo: ApolloClient, message: WebMessageChangesFragment, highest: { current: number }): boolean {
  // Seen, applied or not: a mutation's answer may have written this revision already.
  highest.current = Math.max(highest.current, message.revision);
  const id = apollo.cache.identify({ __typename: 'Message', id: message.id });
  const current = apollo.cache.readFragment({ id, fragment: WebMessageChangesFragmentDoc, fragmentName: 'WebMessageChanges' });
  if (current && current.revision >= message.revision) return false;
  apollo.cache.writeFragment({ id, fragment: WebMessageChangesFragmentDoc, fragmentName: 'WebMessageChanges', data: message });
  return true;
}
