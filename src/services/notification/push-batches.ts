/**
 * The batches of new-message pushes: `push_conversation_state`, one row per (recipient,
 * conversation), holding the open batch (`batch_from`, `due_at`) and how far pushes went
 * (`pushed_up_to`). Every statement a batch needs, and nothing else.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConversationBatchRow } from '../../db/rows/push.rows';
import { date, dateOrNull } from '../../db/rows/row-values';

/**
 * A batch or held notification this far past due has lost its job (its process died between
 * saving it and scheduling the job): the next message, or the maintenance job, schedules again.
 */
export const LOST_JOB_AFTER_MS = 10 * 60_000;

/** The locked state of a batch, for its delivery job. */
export interface BatchState {
  pushedUpTo: number;
  batchFrom: number | null;
  dueAt: Date | null;
}

/**
 * Opens the conversation's batch for the recipient (true: schedule its job) unless one is
 * open, which the message joins. The row lock makes concurrent messages, on any instance,
 * open one batch; a message whose decision came late still counts (the least batch_from).
 * A batch overdue by LOST_JOB_AFTER_MS lost its job and is opened again.
 */
export async function openOrJoinBatch(tx: EntityManager, userId: string, conversationId: string, sequence: number, dueAt: Date, now: Date): Promise<boolean> {
  const inserted: Pick<ConversationBatchRow, 'due_at'>[] = await tx.execute(
    `insert into push_conversation_state (user_id, conversation_id, batch_from, due_at) values (?, ?, ?, ?)
     on conflict (user_id, conversation_id) do nothing returning due_at`,
    [userId, conversationId, sequence, dueAt],
  );
  if (inserted.length > 0) return true;
  const [state]: Pick<ConversationBatchRow, 'batch_from' | 'due_at'>[] = await tx.execute(
    `select batch_from, due_at from push_conversation_state where user_id = ? and conversation_id = ? for update`,
    [userId, conversationId],
  );
  const open = state.due_at !== null && date(state.due_at).getTime() >= now.getTime() - LOST_JOB_AFTER_MS;
  if (open && state.batch_from !== null && Number(state.batch_from) <= sequence) return false;
  await tx.execute(`update push_conversation_state set batch_from = ?, due_at = ? where user_id = ? and conversation_id = ?`, [
    open ? Math.min(Number(state.batch_from ?? sequence), sequence) : sequence,
    open ? state.due_at : dueAt,
    userId,
    conversationId,
  ]);
  return !open;
}

/** Locks the batch row for its delivery (undefined: none). */
export async function lockBatch(tx: EntityManager, userId: string, conversationId: string): Promise<BatchState | undefined> {
  const [state]: Pick<ConversationBatchRow, 'pushed_up_to' | 'batch_from' | 'due_at'>[] = await tx.execute(
    `select pushed_up_to, batch_from, due_at from push_conversation_state where user_id = ? and conversation_id = ? for update`,
    [userId, conversationId],
  );
  if (!state) return undefined;
  return {
    pushedUpTo: state.pushed_up_to,
    batchFrom: state.batch_from,
    dueAt: dateOrNull(state.due_at),
  };
}

/** Ends the batch; pushes have covered the messages up to `upTo` (0: unchanged). */
export async function closeBatch(tx: EntityManager, userId: string, conversationId: string, upTo: number): Promise<void> {
  await tx.execute(
    `update push_conversation_state set due_at = null, batch_from = null, pushed_up_to = greatest(pushed_up_to, ?)
     where user_id = ? and conversation_id = ?`,
    [upTo, userId, conversationId],
  );
}

/** Moves the batch's due time (to the end of quiet hours). */
export async function postponeBatch(tx: EntityManager, userId: string, conversationId: string, dueAt: Date): Promise<void> {
  await tx.execute(`update push_conversation_state set due_at = ? where user_id = ? and conversation_id = ?`, [dueAt, userId, conversationId]);
}

/** Batches due before `before` (their job was lost), at most 1000. */
export async function overdueBatches(em: EntityManager, before: Date): Promise<{ userId: string; conversationId: string }[]> {
  const rows: Pick<ConversationBatchRow, 'user_id' | 'conversation_id'>[] = await em.execute(`select user_id, conversation_id from push_conversation_state where due_at < ? limit 1000`, [before]);
  return rows.map((row) => ({ userId: row.user_id, conversationId: row.conversation_id }));
}
