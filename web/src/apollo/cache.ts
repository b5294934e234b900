import { InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';

/**
 * Messages are one list per conversation, paged backwards with `last`/`before`:
 * relayStylePagination merges the pages into it (keyArgs false: the page arguments are not
 * part of the list's identity). Presence, quiet hours and reaction groups have no id: they belong
 * to their parent.
 */
export function createCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Conversation: { fields: { messages: relayStylePagination(false) } },
      Query: { fields: { conversations: { keyArgs: ['status'] } } },
      User: { fields: { presence: { merge: true } } },
      // Reaction groups have no id: each answer or messageUpdated event is the whole new list.
      Message: { fields: { reactions: { merge: false } } },
      NotificationPreferences: { keyFields: [], fields: { quietHours: { merge: true } } },
    },
  });
}
