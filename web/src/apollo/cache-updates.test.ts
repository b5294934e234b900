import { describe, expect, it } from 'vitest';
import { WebMessagesDocument } from '../gql/graphql';
import { message } from '../test/fixtures';
import { createCache } from './cache';
import { addMessageToCache } from './cache-updates';

function seeded() {
  const cache = createCache();
  const edges = [1, 2, 3].map((sequence) => ({ __typename: 'MessageEdge' as const, cursor: `c${sequence}`, node: message({ id: `m${sequence}`, sequence }) }));
  cache.writeQuery({
    query: WebMessagesDocument,
    variables: { conversationId: 'c1', last: 50 },
    data: { __typename: 'Query', conversation: { __typename: 'Conversation', id: 'c1', messages: { __typename: 'MessageConnection', pageInfo: { __typename: 'PageInfo', hasPreviousPage: false, startCursor: 'c1' }, edges } } },
  });
  const read = () => cache.readQuery({ query: WebMessagesDocument, variables: { conversationId: 'c1', last: 50 } })!.conversation.messages.edges.map((e) => e.node.sequence);
  return { cache, read };
}

describe('addMessageToCache', () => {
  it('adds a live message once, however many paths deliver it (send answer, thread and inbox subscriptions, replay)', () => {
    const { cache, read } = seeded();
    const live = message({ id: 'm4', sequence: 4 });
    addMessageToCache(cache, live);
    addMessageToCache(cache, live);
    addMessageToCache(cache, { ...live });
    expect(read()).toEqual([1, 2, 3, 4]);
  });

  it('keeps sequence order when a replayed message arrives after a newer live one', () => {
    const { cache, read } = seeded();
    addMessageToCache(cache, message({ id: 'm6', sequence: 6 }));
    addMessageToCache(cache, message({ id: 'm5', sequence: 5 }));
    expect(read()).toEqual([1, 2, 3, 5, 6]);
  });
});
