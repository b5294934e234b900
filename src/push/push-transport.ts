/** Device platforms a push token can belong to; the values of the `DevicePlatform` enum. */
export type PushPlatform = 'ANDROID' | 'IOS' | 'WEB';

/** One notification for one device token. */
export interface PushMessage {
  /** Provider registration token of the device. Never logged in full. */
  token: string;
  platform: PushPlatform;
  title: string;
  body: string;
  /** Extra key/values for the app (ids only, never message bodies); FCM requires strings. */
  data: Record<string, string>;
  /**
   * Groups notifications that replace each other on the device (e.g. the conversation id):
   * a later notification with the same key replaces the earlier one instead of stacking.
   */
  collapseKey: string;
  /** Groups notifications visually (iOS thread, Android/web group), e.g. the conversation id. */
  threadId: string;
  /** App icon badge count (iOS, Android launchers that support it). */
  badge?: number;
}

/**
 * What the provider answered for one message.
 * - `sent`: accepted by the provider; must never be sent again for the same event.
 * - `invalid_token`: the token is unknown to the provider; the device should be removed.
 * - `transient_error`: certainly not delivered (the provider refused it: rate or quota; or no
 *   connection was ever opened); sending again later may succeed and cannot make a copy.
 * - `ambiguous`: maybe delivered (a 5xx, a reset or a timeout after the request was written);
 *   sent again at most once, with the same collapse identity, so that a copy replaces the first.
 * - `error`: anything else (bad payload, credentials); sending again will not help.
 */
export type PushOutcome = 'sent' | 'invalid_token' | 'transient_error' | 'ambiguous' | 'error';

/** Result for one message, in the order of the messages given to {@link PushTransport.send}. */
export interface PushResult {
  token: string;
  outcome: PushOutcome;
  /** Provider id of the accepted message (FCM: `projects/<p>/messages/<id>`). */
  providerMessageId?: string;
  /** Provider error code and message, for logs; never contains the message body. */
  error?: string;
}

/** A push provider. Implementations: FCM (`createFcmTransport`) and the log (`createLogTransport`). */
export interface PushTransport {
  /** Short name for logs and metrics, e.g. `fcm` or `log`. */
  readonly name: string;
  /**
   * Sends each message once. Resolves with one result per message, in the same order, and
   * reports per-message failures as outcomes: it rejects only when it could not try at all.
   */
  send(messages: PushMessage[]): Promise<PushResult[]>;
  /** Releases provider resources (connections, SDK apps). Idempotent. */
  close?(): Promise<void>;
}
