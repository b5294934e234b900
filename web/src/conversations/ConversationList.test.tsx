import { MockedProvider } from '@apollo/client/testing/react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { createCache } from '../apollo/cache';
import { WebInboxDocument } from '../gql/graphql';
import { conversation, message } from '../test/fixtures';
import { ConversationList } from './ConversationList';

const inbox = (status: string[], nodes: ReturnType<typeof conversation>[]) => ({
  request: { query: WebInboxDocument, variables: { status, first: 100 } },
  result: { data: { conversations: { __typename: 'ConversationConnection', edges: nodes.map((node) => ({ __typename: 'ConversationEdge', node })) } } },
});

describe('ConversationList', () => {
  it('shows each conversation with its last message, unread badge and presence, most recent first', async () => {
    const older = conversation('c-old', { lastMessageAt: '2026-12-01T08:00:00.000Z', unreadCount: 0 });
    const newer = conversation('c-new', {
      lastMessageAt: '2026-12-02T08:00:00.000Z',
      unreadCount: 3,
      otherParticipant: { __typename: 'User', id: 'u2', displayName: 'Ana', avatarUrl: null, presence: { __typename: 'Presence', status: 'ONLINE', lastSeenAt: null } },
      lastMessage: message({ id: 'm9', conversationId: 'c-new', sequence: 9, content: 'See you at 9', createdAt: '2026-12-02T08:00:00.000Z', sender: { __typename: 'User', id: 'u2' } }),
    });
    render(
      <MockedProvider mocks={[inbox(['ACTIVE'], [older, newer])]} cache={createCache()}>
        <ConversationList onOpen={() => undefined} onSettings={() => undefined} />
      </MockedProvider>,
    );
    const items = await screen.findAllByTestId('conversation-item');
    expect(items.map((el) => el.dataset.conversationId)).toEqual(['c-new', 'c-old']);
    expect(within(items[0]).getByTestId('unread-badge').textContent).toBe('3');
    expect(within(items[1]).queryByTestId('unread-badge')).toBeNull();
    expect(within(items[0]).getByTestId('presence-indicator').dataset.status).toBe('ONLINE');
    expect(within(items[1]).getByTestId('presence-indicator').dataset.status).toBe('OFFLINE');
    expect(items[0].textContent).toContain('See you at 9');
    expect(screen.getByTestId('settings-link')).toBeTruthy();
  });

  it('opens a conversation by click or keyboard and switches to the archived ones', async () => {
    const onOpen = vi.fn();
    render(
      <MockedProvider mocks={[inbox(['ACTIVE'], [conversation('c1')]), inbox(['ARCHIVED', 'AUTO_ARCHIVED'], [conversation('c-arch', { status: 'ARCHIVED' })])]} cache={createCache()}>
        <ConversationList onOpen={onOpen} onSettings={() => undefined} />
      </MockedProvider>,
    );
    const user = userEvent.setup();
    const item = await screen.findByTestId('conversation-item');
    within(item).getByRole('button').focus();
    await user.keyboard('{Enter}');
    expect(onOpen).toHaveBeenCalledWith('c1');
    await user.click(screen.getByRole('button', { name: 'Archived' }));
    expect((await screen.findByTestId('conversation-item')).dataset.conversationId).toBe('c-arch');
  });

  it('shows the empty list box when there is nothing', async () => {
    render(
      <MockedProvider mocks={[inbox(['ACTIVE'], [])]} cache={createCache()}>
        <ConversationList onOpen={() => undefined} onSettings={() => undefined} />
      </MockedProvider>,
    );
    expect(await screen.findByText('No conversations yet.')).toBeTruthy();
    expect(screen.getByTestId('conversation-list')).toBeTruthy();
  });
});
