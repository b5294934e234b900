import type { WebConversationFragment, WebMessageFragment } from '../gql/graphql';

let sequence = 0;

export function message(overrides: Partial<WebMessageFragment> = {}): WebMessageFragment {
  sequence += 1;
  return {
    __typename: 'Message',
    id: `m${sequence}`,
    conversationId: 'c1',
    sequence,
    type: 'TEXT',
    content: `message ${sequence}`,
    clientMessageId: null,
    createdAt: new Date(Date.UTC(2026, 11, 2, 8, sequence)).toISOString(),
    readAt: null,
    sender: { __typename: 'User', id: 'other' },
    image: null,
    revision: 0,
    editedAt: null,
    deletedAt: null,
    replyTo: null,
    reactions: [],
    ...overrides,
  };
}

export function conversation(id: string, overrides: Partial<WebConversationFragment> = {}): WebConversationFragment {
  return {
    __typename: 'Conversation',
    id,
    status: 'ACTIVE',
    createdAt: '2026-12-01T08:00:00.000Z',
    lastMessageAt: '2026-12-01T09:00:00.000Z',
    unreadCount: 0,
    otherParticipant: { __typename: 'User', id: `u-${id}`, displayName: `User ${id}`, avatarUrl: null, presence: { __typename: 'Presence', status: 'OFFLINE', lastSeenAt: null } },
    lastMessage: null,
    isBlocked: false,
    blockedByViewer: false,
    ...overrides,
  };
}
