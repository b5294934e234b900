import { useEffect, useState } from 'react';
import { WebTypingDocument } from '../gql/graphql';
import { useSession } from '../session/api-context';

/** The server ends typing after 6 s; this is the fallback should that event be lost. */
const STALE_AFTER_MS = 8000;

/** Whether the other participant is typing in this conversation, live. */
export function useOtherTyping(conversationId: string): boolean {
  const { api, viewerId } = useSession();
  const [typing, setTyping] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const subscription = api.apollo.subscribe({ query: WebTypingDocument, variables: { conversationId } }).subscribe(({ data }) => {
      const event = data?.typing;
      if (!event || event.userId === viewerId) return;
      clearTimeout(timer);
      setTyping(event.isTyping);
      if (event.isTyping) timer = setTimeout(() => setTyping(false), STALE_AFTER_MS);
    });
    return () => {
      clearTimeout(timer);
      subscription.unsubscribe();
      setTyping(false);
    };
  }, [api, conversationId, viewerId]);
  return typing;
}

/** Re-send `setTyping(true)` at most this often while keys are pressed (the contract: <= 4 s). */
export const TYPING_REFRESH_MS = 3000;
