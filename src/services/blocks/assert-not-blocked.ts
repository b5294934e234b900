import type { Sql } from '../../db/sql';
import { blocked } from '../../errors';
import { blockStore } from './block-store';

/**
 * The block check of user actions in a conversation: setTyping and addReaction here, and
 * startConversation below. Sends check the same rule in SQL, inside send_message() under the
 * conversation's lock and in the send precheck (message-store.ts), so that a send stays one
 * statement. FORBIDDEN with reason BLOCKED while either participant blocks the other; an
 * outsider passes (the caller's membership check answers NOT_FOUND for them). One indexed
 * statement.
 */
export async function assertNotBlocked(sql: Sql, conversationId: string, userId: string): Promise<void> {
  if (await blockStore.conversationBlocked(sql, conversationId, userId)) throw blocked();
}

/** startConversation between two users: FORBIDDEN (BLOCKED) while either blocks the other. */
export async function assertPairNotBlocked(sql: Sql, a: string, b: string): Promise<void> {
  if (await blockStore.pairBlocked(sql, a, b)) throw blocked();
}
