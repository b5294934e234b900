/**
 * notifyUser (service role): the push rules for the marketplace's own notification types.
 * Sends now, holds until quiet hours end (a `deliver-held-notification` job), or drops, and
 * answers the outcome. Not batched: each has its own collapse key, its text comes from the caller.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { EmSql } from '../../db/sql';
import { DELIVER_HELD_NOTIFICATION } from '../job-queue';
import type { NotificationDraft } from '../push-delivery.service';
import { checkNotifyInput, type NotifyUserInput } from './notify-user-input';
import type { PushContext } from './push-context';
import { decideNotify } from './push-decision';
import type { NotifyUserOutcome } from './push-outcome';
import { readRecipient } from './push-recipient';

export class NotifyUserService {
  constructor(private readonly context: PushContext) {}

  /**
   * Applies the recipient's preferences for the input's type. Throws BAD_USER_INPUT for bad
   * input, and an internal error when the provider accepted it for no device (nothing was
   * sent, so the caller may try again).
   */
  async notify(em: EntityManager, input: NotifyUserInput): Promise<NotifyUserOutcome> {
    const { title, body, data } = checkNotifyInput(input);
    const userId = input.userId.toLowerCase();
    const type = input.type;
    const { delivery, jobs, conversations } = this.context.options;
    const facts = { recipient: await readRecipient(new EmSql(em), userId), type };
    const first = decideNotify({ ...facts, now: this.context.now() });
    const decision = first.outcome === 'needs_presence' ? decideNotify({ ...facts, now: this.context.now(), online: await this.context.isOnline(userId) }) : first;
    this.context.noteQuietHours(userId, decision);
    const answer = (outcome: NotifyUserOutcome) => {
      this.context.count(type, outcome);
      return outcome;
    };
    if (decision.outcome === 'suppressed' || decision.outcome === 'no_device') return answer(decision.outcome);
    const key = randomUUID();
    const draft: NotificationDraft = {
      eventKey: `notify:${key}`,
      userId,
      conversationId: null,
      type,
      title,
      body,
      data: { ...data, type },
      collapseKey: `notification:${key}`,
      threadId: type,
      badge: null,
    };
    if (decision.outcome === 'deferred') {
      const notificationId = await delivery.hold(em, draft, decision.until);
      await jobs.schedule(DELIVER_HELD_NOTIFICATION, decision.until, { notificationId });
      return answer('deferred');
    }
    const notificationId = await em.transactional(async (tx) => {
      const badge = await conversations.unreadTotal(tx as EntityManager, userId);
      return delivery.compose(tx as EntityManager, { ...draft, badge }, facts.recipient.deviceIds);
    });
    const summary = await delivery.send(notificationId);
    if (summary.sent > 0) return answer('sent');
    // Every token turned out unregistered (and is gone now): the recipient has no device.
    if (summary.failed === 0) return answer('no_device');
    this.context.count(type, 'failed');
    // Nothing reached any device, so the caller may simply try again later.
    throw new Error('the push provider accepted the notification for no device');
  }
}
