/**
 * Who gets a push, and when: the rules of CONTRACT.md "Notifications" as pure functions (no
 * I/O, no clock of their own). Callers read the recipient, presence and the time, and act on the
 * answer. Presence costs a round trip, so the decisions that need it only late say so
 * (`needsPresence`) and are asked again with it: the order of the checks is the rule.
 */
import { isWithinQuietHours, quietHoursEnd, type QuietHoursPrefs } from '../../push/quiet-hours';
import { NotificationType } from '../../schema/common/enums';
import type { PushNotificationOutcome } from './push-outcome';

/** Preferences, quiet hours and devices of a recipient (the contract's defaults when none are stored). */
export interface Recipient {
  pushEnabled: boolean;
  flags: Record<NotificationType, boolean>;
  quietHours: QuietHoursPrefs;
  deviceIds: string[];
}

/** A job may run a moment before the instant the service computed: within this, it is due. */
export const DUE_TOLERANCE_MS = 1000;

/** The answer "ask presence, then ask me again with it". */
export interface NeedsPresence {
  outcome: 'needs_presence';
}

/** Quiet hours that could not be judged (stored before today's stricter checks): never hold, but say so. */
interface QuietHoursNote {
  quietHoursError?: unknown;
}

type Outcome<O extends PushNotificationOutcome | 'open'> = { outcome: O } & QuietHoursNote;
type Deferred = { outcome: 'deferred'; until: Date } & QuietHoursNote;

/** When the quiet hours that contain `now` end (null outside them, or when they cannot be judged). */
export function quietHoursUntil(prefs: QuietHoursPrefs, now: Date): { until: Date | null } & QuietHoursNote {
  try {
    return { until: isWithinQuietHours(prefs, now) ? quietHoursEnd(prefs, now) : null };
  } catch (error) {
    return { until: null, quietHoursError: error };
  }
}

/** Whether a batch or held notification stored as due at `dueAt` is to be sent at `now`. */
export function dueState(dueAt: Date | null, now: Date): 'nothing' | 'not_due' | 'due' {
  if (dueAt === null) return 'nothing';
  return dueAt.getTime() > now.getTime() + DUE_TOLERANCE_MS ? 'not_due' : 'due';
}

function allows(recipient: Recipient, type: NotificationType): boolean {
  return recipient.pushEnabled && recipient.flags[type];
}

export type NewMessageDecision = Outcome<'online' | 'suppressed' | 'no_device'> | ({ outcome: 'batched' | 'deferred'; dueAt: Date } & QuietHoursNote);

/**
 * A new message: an online recipient sees it live (presence is known first, so an online
 * recipient's preferences need not be read); otherwise it opens or joins a batch due when the
 * window ends, or when quiet hours end.
 */
export function decideNewMessage(
  input: { online: true } | { online: false; recipient: Recipient; now: Date; batchWindowMs: number },
): NewMessageDecision {
  if (input.online) return { outcome: 'online' };
  const { recipient, now, batchWindowMs } = input;
  if (!allows(recipient, NotificationType.NEW_MESSAGE)) return { outcome: 'suppressed' };
  if (recipient.deviceIds.length === 0) return { outcome: 'no_device' };
  const quiet = quietHoursUntil(recipient.quietHours, now);
  if (quiet.until) return { outcome: 'deferred', dueAt: quiet.until };
  return { outcome: 'batched', dueAt: new Date(now.getTime() + batchWindowMs), quietHoursError: quiet.quietHoursError };
}

export type BatchGateDecision = Outcome<'suppressed'> | Deferred | Outcome<'open'>;

/** A due batch, before its messages are read: preferences turned off meanwhile, or quiet hours now. */
export function decideBatchGate(recipient: Recipient, now: Date): BatchGateDecision {
  if (!allows(recipient, NotificationType.NEW_MESSAGE)) return { outcome: 'suppressed' };
  const quiet = quietHoursUntil(recipient.quietHours, now);
  if (quiet.until) return { outcome: 'deferred', until: quiet.until };
  return { outcome: 'open', quietHoursError: quiet.quietHoursError };
}

export interface BatchFacts {
  recipient: Recipient;
  /** Whether the batch still holds a message the recipient has not read. */
  hasUnread: boolean;
  online?: boolean;
}
export type BatchSendDecision = Outcome<'read' | 'online' | 'no_device' | 'sent'>;

/** A due batch past its gate: nothing unread, the recipient came online, no device, or send. */
export function decideBatchSend(facts: BatchFacts & { online: boolean }): BatchSendDecision;
export function decideBatchSend(facts: BatchFacts): BatchSendDecision | NeedsPresence;
export function decideBatchSend({ recipient, hasUnread, online }: BatchFacts): BatchSendDecision | NeedsPresence {
  if (!hasUnread) return { outcome: 'read' };
  if (online === undefined) return { outcome: 'needs_presence' };
  if (online) return { outcome: 'online' };
  if (recipient.deviceIds.length === 0) return { outcome: 'no_device' };
  return { outcome: 'sent' };
}

export interface TypedFacts {
  recipient: Recipient;
  type: NotificationType;
  now: Date;
  online?: boolean;
}
export type HeldDecision = Outcome<'suppressed' | 'no_device' | 'online' | 'sent'> | Deferred;

/**
 * A notifyUser notification held by quiet hours, when they end: preferences are checked again,
 * quiet hours may have moved, and a NEW_MESSAGE one is dropped for a recipient now online.
 */
export function decideHeldRelease(facts: TypedFacts & { online: boolean }): HeldDecision;
export function decideHeldRelease(facts: TypedFacts): HeldDecision | NeedsPresence;
export function decideHeldRelease({ recipient, type, now, online }: TypedFacts): HeldDecision | NeedsPresence {
  if (!allows(recipient, type)) return { outcome: 'suppressed' };
  const quiet = quietHoursUntil(recipient.quietHours, now);
  if (quiet.until) return { outcome: 'deferred', until: quiet.until };
  const note = { quietHoursError: quiet.quietHoursError };
  if (recipient.deviceIds.length === 0) return { outcome: 'no_device', ...note };
  if (type === NotificationType.NEW_MESSAGE) {
    if (online === undefined) return { outcome: 'needs_presence' };
    if (online) return { outcome: 'online', ...note };
  }
  return { outcome: 'sent', ...note };
}

export type NotifyDecision = Outcome<'suppressed' | 'no_device' | 'sent'> | Deferred;

/**
 * notifyUser: the type's flag, a device, presence for NEW_MESSAGE only (the app shows messages
 * live; the other types have no in-app channel), then quiet hours hold it or it goes now.
 */
export function decideNotify(facts: TypedFacts & { online: boolean }): NotifyDecision;
export function decideNotify(facts: TypedFacts): NotifyDecision | NeedsPresence;
export function decideNotify({ recipient, type, now, online }: TypedFacts): NotifyDecision | NeedsPresence {
  if (!allows(recipient, type)) return { outcome: 'suppressed' };
  if (recipient.deviceIds.length === 0) return { outcome: 'no_device' };
  if (type === NotificationType.NEW_MESSAGE) {
    if (online === undefined) return { outcome: 'needs_presence' };
    if (online) return { outcome: 'suppressed' };
  }
  const quiet = quietHoursUntil(recipient.quietHours, now);
  if (quiet.until) return { outcome: 'deferred', until: quiet.until };
  return { outcome: 'sent', quietHoursError: quiet.quietHoursError };
}
