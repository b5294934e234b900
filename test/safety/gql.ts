import type { GraphQLResponse, TestServer } from '../helpers/test-server';

/**
 * Untyped operations of the trust-and-safety tests. (The generated documents of
 * test/generated are shared by every branch; these strings keep this suite independent of them.)
 */
export function gql<T = Record<string, unknown>>(server: TestServer, query: string, variables: Record<string, unknown>, token: string | null): Promise<GraphQLResponse<T>> {
  return server.raw({ query, variables }, token) as Promise<GraphQLResponse<T>>;
}

export const BLOCK = 'mutation ($userId: ID!) { blockUser(userId: $userId) { id } }';
export const UNBLOCK = 'mutation ($userId: ID!) { unblockUser(userId: $userId) { id } }';
export const BLOCKED_USERS = 'query { blockedUsers { id } }';
export const SEND = 'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id content flags sequence } }';
export const START = 'mutation ($input: StartConversationInput!) { startConversation(input: $input) { id } }';
export const TYPING = 'mutation ($conversationId: ID!, $isTyping: Boolean!) { setTyping(conversationId: $conversationId, isTyping: $isTyping) }';
export const CONVERSATIONS =
  'query { conversations { edges { node { id isBlocked blockedByViewer otherParticipant { id presence { status lastSeenAt } } } } } }';
export const REACT = 'mutation ($messageId: ID!, $emoji: String!) { addReaction(messageId: $messageId, emoji: $emoji) { id revision reactions { emoji count } } }';
export const UNREACT = 'mutation ($messageId: ID!, $emoji: String!) { removeReaction(messageId: $messageId, emoji: $emoji) { id revision reactions { emoji count } } }';
export const EDIT = 'mutation ($input: EditMessageInput!) { editMessage(input: $input) { id content flags editedAt revision } }';
export const MESSAGES = 'query ($id: ID!) { conversation(id: $id) { messages { edges { node { id content flags } } } } }';

/** The `extensions.reason` of the first error. */
export const reasonOf = (result: GraphQLResponse<unknown>) => result.errors?.[0]?.extensions?.reason;

const REPORT_FIELDS = 'id reason details status reporter { id } reportedUser { id } conversationId messageId evidence { messageId sequence senderId content } resolutionNote';
export const REPORT_MESSAGE = `mutation ($input: ReportMessageInput!) { reportMessage(input: $input) { ${REPORT_FIELDS} } }`;
export const REPORT_USER = `mutation ($input: ReportUserInput!) { reportUser(input: $input) { ${REPORT_FIELDS} } }`;
export const REPORTS = `query ($status: ReportStatus, $first: Int, $after: String) { reports(status: $status, first: $first, after: $after) { edges { cursor node { ${REPORT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
export const RESOLVE = `mutation ($id: ID!, $status: ReportStatus!, $note: String) { resolveReport(id: $id, status: $status, note: $note) { ${REPORT_FIELDS} } }`;

export interface ReportView {
  id: string;
  reason: string;
  status: string;
  reporter: { id: string };
  reportedUser: { id: string };
  conversationId: string | null;
  messageId: string | null;
  evidence: { messageId: string; sequence: number; senderId: string | null; content: string | null }[];
  resolutionNote: string | null;
}
