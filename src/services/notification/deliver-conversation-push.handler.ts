/**
 * The `deliver-conversation-push` job's work: when a batch is due, one notification for every
 * unread message it holds ("3 new messages from Ana"), replacing the conversation's earlier
 * one on the device, badge = unreadTotal. Idempotent: a second run, or a run after a crash,
 * sends nothing twice.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { EmSql } from '../../db/sql';
import { messagesSummaryText, type MessageForText } from '../../push/notification-text';
import { NotificationType } from '../../schema/common/enums';
import { DELIVER_CONVERSATION_PUSH } from '../job-queue';
import type { NotificationDraft } from '../push-delivery.service';
import type { Row } from '../rows';
import { closeBatch, lockBatch, postponeBatch } from './push-batches';
import type { PushContext } from './push-context';
import { decideBatchGate, decideBatchSend, dueState } from './push-decision';
import { isCounted, sendOutcome, type DeliveryJobOutcome } from './push-outcome';
import { readRecipient } from './push-recipient';
import { blockStore } from '../blocks/block-store';

const conversationBlocked = blockStore.conversationBlocked;

interface Step {
  outcome: DeliveryJobOutcome;
  notificationId?: string;
  rescheduleAt?: Date;
}

export class DeliverConversationPush {
  constructor(private readonly context: PushContext) {}

  /** Sends the batch of one recipient and conversation if it is due. */
  async deliver(userId: string, conversationId: string): Promise<DeliveryJobOutcome> {
    const { delivery, jobs } = this.context.options;
    // A run that died between composing and sending left deliveries pending: send them first.
    for (const pending of await delivery.pendingNotifications(userId, conversationId)) await delivery.send(pending);
    const now = this.context.now();
    const step = await this.context.fork().transactional((tx) => this.compose(tx as EntityManager, userId, conversationId, now));
    if (step.rescheduleAt) await jobs.schedule(DELIVER_CONVERSATION_PUSH, step.rescheduleAt, { userId, conversationId });
    const outcome = step.notificationId ? sendOutcome(await delivery.send(step.notificationId)) : step.outcome;
    if (isCounted(outcome)) this.context.count(NotificationType.NEW_MESSAGE, outcome);
    return outcome;
  }

  private async compose(tx: EntityManager, userId: string, conversationId: string, now: Date): Promise<Step> {
    const state = await lockBatch(tx, userId, conversationId);
    if (!state) return { outcome: 'nothing' };
    const due = dueState(state.dueAt, now);
    if (due !== 'due') return { outcome: due };
    // Nothing is pushed between a blocked pair, also for messages sent before the block.
    if (await conversationBlocked(new EmSql(tx), conversationId, userId)) {
      return closeBatch(tx, userId, conversationId, 0).then(() => ({ outcome: 'suppressed' }));
    }
    const recipient = await readRecipient(new EmSql(tx), userId);
    const gate = decideBatchGate(recipient, now);
    this.context.noteQuietHours(userId, gate);
    if (gate.outcome === 'suppressed') return closeBatch(tx, userId, conversationId, 0).then(() => ({ outcome: 'suppressed' }));
    if (gate.outcome === 'deferred') {
      await postponeBatch(tx, userId, conversationId, gate.until);
      return { outcome: 'deferred', rescheduleAt: gate.until };
    }
    const latest = await latestUnread(tx, userId, conversationId, state.pushedUpTo, state.batchFrom);
    const unread = decideBatchSend({ recipient, hasUnread: latest !== undefined });
    const decision = unread.outcome === 'needs_presence' ? decideBatchSend({ recipient, hasUnread: true, online: await this.context.isOnline(userId) }) : unread;
    if (!latest || decision.outcome !== 'sent') return closeBatch(tx, userId, conversationId, latest?.sequence ?? 0).then(() => ({ outcome: decision.outcome }));
    const draft: NotificationDraft = {
      ...batchDraft(userId, conversationId, latest),
      badge: await this.context.options.conversations.unreadTotal(tx, userId),
    };
    const notificationId = await this.context.options.delivery.compose(tx, draft, recipient.deviceIds);
    await closeBatch(tx, userId, conversationId, latest.sequence);
    return { outcome: 'sent', notificationId };
  }
}

/** The latest unread message of the other participant in the batch, and how many there are. */
interface LatestUnread {
  id: string;
  sequence: number;
  total: number;
  forText: MessageForText;
}

async function latestUnread(tx: EntityManager, userId: string, conversationId: string, pushedUpTo: number, batchFrom: number | null): Promise<LatestUnread | undefined> {
  const [latest]: Row[] = await tx.execute(
    `select m.id, m.sequence, m.type, m.content, u.display_name, count(*) over () as total
     from messages m left join users u on u.id = m.sender_id
     where m.conversation_id = ? and m.sender_id is not null and m.sender_id <> ? and m.read_at is null and m.deleted_at is null
       and m.sequence > ? and m.sequence >= coalesce(?::int, 0)
     order by m.sequence desc limit 1`,
    [conversationId, userId, pushedUpTo, batchFrom],
  );
  if (!latest) return undefined;
  return {
    id: String(latest.id),
    sequence: Number(latest.sequence),
    total: Number(latest.total),
    forText: {
      senderName: latest.display_name as string | null,
      type: latest.type as MessageForText['type'],
      content: latest.content as string | null,
    },
  };
}

function batchDraft(userId: string, conversationId: string, latest: LatestUnread): Omit<NotificationDraft, 'badge'> {
  const text = messagesSummaryText(Array.from({ length: latest.total }, () => latest.forText));
  return {
    eventKey: `message:${userId}:${conversationId}:${latest.sequence}`,
    userId,
    conversationId,
    type: NotificationType.NEW_MESSAGE,
    title: text.title,
    body: text.body,
    data: { type: NotificationType.NEW_MESSAGE, conversationId, messageId: latest.id, count: String(latest.total) },
    collapseKey: conversationId,
    threadId: conversationId,
  };
}
