import { ApolloClient, ApolloLink } from '@apollo/client';
import { describe, expect, it } from 'vitest';
import { createCache } from '../apollo/cache';
import { WebMessageChangesFragmentDoc, type WebMessageChangesFragment } from '../gql/graphql';
import { applyMessageChange } from './use-message-updates';

const state = (revision: number, overrides: Partial<WebMessageChangesFragment> = {}): WebMessageChangesFragment => ({
  __typename: 'Message',
  id: 'm1',
  revision,
  editedAt: null,
  deletedAt: null,
  content: `v${revision}`,
  replyTo: null,
  reactions: [],
  ...overrides,
});

describe('applyMessageChange (messageUpdated)', () => {
  it('applies changes in revision order and ignores a replayed or older one, tracking the highest revision', () => {
    const apollo = new ApolloClient({ link: ApolloLink.empty(), cache: createCache() });
    const highest = { current: 0 };
    const read = () => apollo.cache.readFragment({ id: 'Message:m1', fragment: WebMessageChangesFragmentDoc, fragmentName: 'WebMessageChanges' });
    expect(applyMessageChange(apollo, state(3), highest)).toBe(true);
    expect(applyMessageChange(apollo, state(5, { reactions: [{ __typename: 'ReactionGroup', emoji: '👍', count: 1, reactedByViewer: false }] }), highest)).toBe(true);
    expect(applyMessageChange(apollo, state(4), highest)).toBe(false);
    expect(applyMessageChange(apollo, state(5), highest)).toBe(false);
    expect(read()?.revision).toBe(5);
    expect(read()?.reactions).toHaveLength(1);
    expect(highest.current).toBe(5);
    expect(applyMessageChange(apollo, state(6, { deletedAt: '2026-12-02T08:00:00.000Z', content: null }), highest)).toBe(true);
    expect(read()?.content).toBeNull();
  });
});
