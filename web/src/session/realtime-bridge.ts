import { useEffect, useRef } from 'react';
import { addMessageToCache, incrementUnread, markMessagesRead, setPresence } from '../apollo/cache-updates';
import { useConnectionStatus } from '../apollo/connection-status';
import {
  WebConversationEventsDocument,
  WebInboxDocument,
  WebInboxMessagesDocument,
  WebPresenceDocument,
  WebReadReceiptsDocument,
  WebThreadHeaderDocument,
} from '../gql/graphql';
import { useSession } from './api-context';

/**
 * The subscriptions every view needs, for as long as the tab is signed in: new messages of
 * every conversation (list order, last message, unread badge), read receipts, presence and
 * conversation changes. After each reconnect the inbox is read again, so counts missed while
 * the socket was down are exact.
 */
export function useRealtimeBridge(openConversationId: string | null): void {
  const { api, viewerId } = useSession();
  const openRef = useRef(openConversationId);
  openRef.current = openConversationId;
  const { generation } = useConnectionStatus(api.status);

  useEffect(() => {
    const { apollo } = api;
    const cache = apollo.cache;
    const subscriptions = [
      apollo.subscribe({ query: WebInboxMessagesDocument }).subscribe(({ data }) => {
        const message = data?.messageReceived;
        if (!message) return;
        const known = cache.identify({ __typename: 'Conversation', id: message.conversationId });
        const wasKnown = known !== undefined && (cache.extract() as Record<string, unknown>)[known] !== undefined;
        addMessageToCache(cache, message);
        if (!wasKnown) void apollo.refetchQueries({ include: [WebInboxDocument] });
        else if (message.sender?.id !== viewerId && openRef.current !== message.conversationId) incrementUnread(cache, message.conversationId);
      }),
      apollo.subscribe({ query: WebReadReceiptsDocument }).subscribe(({ data }) => {
        const receipt = data?.messageRead;
        if (receipt && receipt.readerId !== viewerId) markMessagesRead(cache, receipt.messageIds, receipt.readAt);
      }),
      apollo.subscribe({ query: WebPresenceDocument }).subscribe(({ data }) => {
        const event = data?.presenceChanged;
        if (event) setPresence(cache, event.userId, event.status, event.lastSeenAt ?? null);
      }),
      apollo.subscribe({ query: WebConversationEventsDocument }).subscribe(() => {
        void apollo.refetchQueries({ include: [WebInboxDocument] });
      }),
    ];
    return () => subscriptions.forEach((subscription) => subscription.unsubscribe());
  }, [api, viewerId]);

  useEffect(() => {
    // The first connection needs no catch-up: the list's own query reads after it. Message
    // pages are not refetched (that would drop the older pages loaded): threads resume by
    // sequence and refresh their receipts themselves.
    if (generation > 1) void api.apollo.refetchQueries({ include: [WebInboxDocument, WebThreadHeaderDocument] });
  }, [api, generation]);
}
