/**
 * The one vocabulary of push outcomes. Every step of the push pipeline (the decision for a new
 * message, the delivery jobs, notifyUser) answers a member of PushNotificationOutcome, and the
 * counted ones are, as they are spelled, the `outcome` label of push_notifications_total
 * (dashboards read them: never rename one). `none`, `nothing` and `not_due` are never counted.
 * notifyUser's GraphQL enum is mapped from it here and nowhere else.
 */
import { NotificationOutcome } from '../../schema/common/enums';
import type { DeliverySummary } from '../push-delivery.service';

export type PushNotificationOutcome =
  | 'none' // a message that never pushes (a system message)
  | 'nothing' // a job with nothing left to do: no batch open, or the notification is already done
  | 'not_due' // an early job run: the job of the current due time will do it
  | 'online' // the recipient is connected and sees the messages in the app
  | 'suppressed' // preferences say no
  | 'no_device'
  | 'batched' // joined or opened the batch of its conversation
  | 'deferred' // quiet hours: held until they end
  | 'read' // everything was read in between: nothing to say
  | 'sent'
  | 'failed';

/** The push decision for one new message. */
export type MessagePushOutcome = Extract<PushNotificationOutcome, 'none' | 'online' | 'suppressed' | 'no_device' | 'batched' | 'deferred'>;

/** What one run of a delivery job (`deliver-conversation-push`, `deliver-held-notification`) did. */
export type DeliveryJobOutcome = Extract<
  PushNotificationOutcome,
  'nothing' | 'not_due' | 'deferred' | 'suppressed' | 'online' | 'read' | 'no_device' | 'sent' | 'failed'
>;

/** What notifyUser answers (its failure is an error, counted as `failed`). */
export type NotifyUserOutcome = Extract<PushNotificationOutcome, 'sent' | 'deferred' | 'suppressed' | 'no_device'>;

const GRAPHQL_OUTCOME: Record<NotifyUserOutcome, NotificationOutcome> = {
  sent: NotificationOutcome.SENT,
  deferred: NotificationOutcome.DEFERRED,
  suppressed: NotificationOutcome.SUPPRESSED,
  no_device: NotificationOutcome.NO_DEVICE,
};

/** notifyUser's outcome as the contract's `NotificationOutcome` enum. */
export function toNotificationOutcome(outcome: NotifyUserOutcome): NotificationOutcome {
  return GRAPHQL_OUTCOME[outcome];
}

/** Job runs that did nothing are not counted in the metric (another run did, or will do, the work). */
export function isCounted(outcome: DeliveryJobOutcome): boolean {
  return outcome !== 'nothing' && outcome !== 'not_due';
}

/** The outcome of handing a stored notification to the provider. */
export function sendOutcome(summary: DeliverySummary): DeliveryJobOutcome {
  if (summary.sent > 0) return 'sent';
  if (summary.failed === 0 && summary.invalidTokens > 0) return 'no_device';
  return summary.failed > 0 ? 'failed' : 'nothing';
}
