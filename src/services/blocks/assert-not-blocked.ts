import type { Sql } from '../../db/sql';
import { blocked } from '../../errors';
import { blockStore } from './block-store';

/**
 * THE block check of every user action in a conversation: sendMessage, sendImageMessage (the
 * send pipeline's first step), setTyping and addReaction. FORBIDDEN with reason BLOCKED while
 * either participant blocks the other; an outsider passes (the caller's membership check
 * answers NOT_FOUND for them). One indexed statement.
 */
export async function assertNotBlocked(sql: Sql, conversationId: string, userId: string): Promise<void> {
  if (await blockStore.conversationBlocked(sql, conversationId, userId)) throw blocked();
}

/** startConversation between two users: FORBIDDEN (BLOCKED) while either blocks the other. */
export async function assertPairNotBlocked(sql: Sql, a: string, b: string): Promise<void> {
  if (await blockStore.pairBlocked(sql, a, b)) throw blocked();
}
