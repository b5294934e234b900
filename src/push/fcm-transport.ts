import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { cert, deleteApp, getApps, initializeApp, type App, type Credential } from 'firebase-admin/app';
import { getMessaging, type BatchResponse, type SendResponse, type TokenMessage } from 'firebase-admin/messaging';
import type { PushMessage, PushOutcome, PushResult, PushTransport } from './push-transport';

/** Options of {@link createFcmTransport}. */
export interface FcmTransportOptions {
  /**
   * Path to, or JSON of, a service account key (the value of `FIREBASE_SERVICE_ACCOUNT`).
   * Gives the credential and the project id unless `credential` / `projectId` are given.
   */
  serviceAccount?: string;
  /**
   * Replaces the service account credential, e.g. `applicationDefault()` on Google Cloud, or a
   * fake in tests. Anything with `getAccessToken()`.
   */
  credential?: Credential;
  /** Firebase project id. Default: the service account's `project_id`. */
  projectId?: string;
  /**
   * Agent for firebase-admin's HTTP/1.1 requests (e.g. an outgoing proxy). firebase-admin's
   * default HTTP/2 transport for `sendEach` ignores agents, so giving one switches to its
   * HTTP/1.1 transport unless `legacyHttpTransport` says otherwise.
   */
  httpAgent?: Agent;
  /** Name of the firebase-admin App this transport owns. Default `messaging-push`. */
  appName?: string;
  /** Sends over HTTP/1.1 instead of HTTP/2. Default: true exactly when `httpAgent` is given. */
  legacyHttpTransport?: boolean;
  /** iOS sound name. Default `default`. */
  sound?: string;
}

/** An FCM transport: a {@link PushTransport} with the firebase-admin App it owns. */
export interface FcmTransport extends PushTransport {
  readonly app: App;
  /** Deletes the firebase-admin App. Idempotent. */
  close(): Promise<void>;
}

/** firebase-admin's `sendEach` limit per call. */
const FCM_MAX_BATCH = 500;

/** APNs rejects an `apns-collapse-id` longer than 64 bytes. */
const APNS_COLLAPSE_ID_MAX_BYTES = 64;

const INVALID_TOKEN_CODES = new Set([
  'messaging/registration-token-not-registered',
  'messaging/invalid-registration-token',
]);

/** The provider refused the message: it certainly did not reach a device. */
const REFUSED_CODES = new Set(['messaging/message-rate-exceeded', 'messaging/device-message-rate-exceeded', 'messaging/quota-exceeded']);

/** A 5xx, or a network failure after the request may have been written: maybe delivered. */
const AMBIGUOUS_CODES = new Set(['messaging/internal-error', 'messaging/server-unavailable', 'messaging/unavailable', 'app/network-error', 'app/network-timeout']);

/** Network errors that happen before a byte of the request left: nothing was delivered. */
const NEVER_CONNECTED = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/;

/**
 * Maps a firebase-admin error code to an outcome. `messaging/invalid-argument` means an invalid
 * token only when FCM's message says so ("The registration token is not a valid FCM
 * registration token"): the same code covers payload mistakes, which must not cost a device.
 * Only what certainly did not reach FCM is `transient_error` (retried up to the bound); a 5xx
 * or a reset may follow an accepted message, so it is `ambiguous` (retried once, replacing).
 */
export function classifyFcmError(code: string, message = ''): PushOutcome {
  if (INVALID_TOKEN_CODES.has(code)) return 'invalid_token';
  if (code === 'messaging/invalid-argument' && /registration token/i.test(message)) return 'invalid_token';
  if (REFUSED_CODES.has(code)) return 'transient_error';
  if (code === 'app/network-error' && NEVER_CONNECTED.test(message)) return 'transient_error';
  if (AMBIGUOUS_CODES.has(code)) return 'ambiguous';
  return 'error';
}

/**
 * The FCM v1 message for one device. Only the block of the device's platform is filled:
 * - Android: `collapseKey` and `notification.tag` = collapse key, so a later notification
 *   replaces the earlier one; the badge as `notificationCount`.
 * - iOS: `apns-collapse-id` header = collapse key (hashed if over 64 bytes), `aps.thread-id`
 *   groups the conversation, `badge`, `sound`.
 * - Web: `notification.tag` = collapse key with `renotify`, so the replacement alerts again.
 */
export function toFcmMessage(message: PushMessage, sound = 'default'): TokenMessage {
  const base: TokenMessage = {
    token: message.token,
    notification: { title: message.title, body: message.body },
    data: message.data,
  };
  switch (message.platform) {
    case 'ANDROID':
      return {
        ...base,
        android: {
          collapseKey: message.collapseKey,
          priority: 'high',
          notification: {
            tag: message.collapseKey,
            ...(message.badge === undefined ? {} : { notificationCount: message.badge }),
          },
        },
      };
    case 'IOS':
      return {
        ...base,
        apns: {
          headers: {
            'apns-collapse-id': apnsCollapseId(message.collapseKey),
            'apns-push-type': 'alert',
            'apns-priority': '10',
          },
          payload: {
            aps: {
              threadId: message.threadId,
              sound,
              ...(message.badge === undefined ? {} : { badge: message.badge }),
            },
          },
        },
      };
    case 'WEB':
      return {
        ...base,
        webpush: {
          // Topic: a copy still queued at the push service replaces the earlier one (RFC 8030 5.4);
          // the tag does the same on the device. Both come from the collapse key.
          headers: { Urgency: 'high', Topic: webPushTopic(message.collapseKey) },
          notification: { tag: message.collapseKey, renotify: true },
        },
      };
  }
}

/** RFC 8030 topics are at most 32 characters of the URL-safe base64 alphabet. */
function webPushTopic(collapseKey: string): string {
  if (/^[A-Za-z0-9_-]{1,32}$/.test(collapseKey)) return collapseKey;
  return createHash('sha256').update(collapseKey).digest('base64url').slice(0, 32);
}

function apnsCollapseId(collapseKey: string): string {
  if (Buffer.byteLength(collapseKey) <= APNS_COLLAPSE_ID_MAX_BYTES) return collapseKey;
  return createHash('sha256').update(collapseKey).digest('hex');
}

/** The fields of a service account key this module reads; the rest goes to firebase-admin as is. */
export interface ServiceAccountJson {
  project_id: string;
  [key: string]: unknown;
}

/**
 * Reads `FIREBASE_SERVICE_ACCOUNT`: JSON when it starts with `{`, otherwise a file path.
 * Error messages never quote the content (it holds a private key).
 */
export function readServiceAccount(value: string): ServiceAccountJson {
  const isJson = value.trim().startsWith('{');
  let text: string;
  try {
    text = isJson ? value : readFileSync(value, 'utf8');
  } catch (error) {
    throw new Error(`FIREBASE_SERVICE_ACCOUNT: cannot read file "${value}" (${(error as NodeJS.ErrnoException).code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`FIREBASE_SERVICE_ACCOUNT: ${isJson ? 'the value' : `file "${value}"`} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as ServiceAccountJson).project_id !== 'string') {
    throw new Error('FIREBASE_SERVICE_ACCOUNT: not a service account key (no "project_id")');
  }
  return parsed as ServiceAccountJson;
}

/**
 * Creates the FCM transport: a named firebase-admin App, sending with `sendEach` (one request
 * per device, HTTP/2 by default). Each message's outcome comes from FCM's answer; see
 * {@link classifyFcmError}. Before answering, firebase-admin itself sends a message again after
 * a 503 (and after an ECONNRESET or ETIMEDOUT error), up to 4 times (after 0, 1, 2 and 4 s),
 * unless `Retry-After` asks for more than a minute; other transient errors (500, 429, an HTTP/2
 * stream reset) come back at once.
 */
export function createFcmTransport(options: FcmTransportOptions): FcmTransport {
  const appName = options.appName ?? 'messaging-push';
  const serviceAccount = options.serviceAccount === undefined ? undefined : readServiceAccount(options.serviceAccount);
  const projectId = options.projectId ?? serviceAccount?.project_id;
  if (!projectId) throw new Error('FCM transport: a projectId or a serviceAccount is required');
  if (!options.credential && !serviceAccount) {
    throw new Error('FCM transport: a serviceAccount or a credential is required');
  }
  if (getApps().some((app) => app.name === appName)) {
    throw new Error(`FCM transport: a firebase-admin App named "${appName}" already exists; close it or pass another appName`);
  }
  const credential = options.credential ?? cert(serviceAccount as object);
  const app = initializeApp({ credential, projectId, httpAgent: options.httpAgent }, appName);
  const messaging = getMessaging(app);
  if (options.legacyHttpTransport ?? options.httpAgent !== undefined) {
    messaging.enableLegacyHttpTransport();
  }
  const sound = options.sound ?? 'default';
  let closed: Promise<void> | undefined;

  async function sendBatch(batch: PushMessage[]): Promise<PushResult[]> {
    let response: BatchResponse;
    try {
      response = await messaging.sendEach(batch.map((message) => toFcmMessage(message, sound)));
    } catch (error) {
      // An HTTP/2 session failure rejects the whole call, but carries the per-message answers
      // (sent ones included) so that nothing already sent is reported as failed.
      const pending = (error as { pendingBatchResponse?: Promise<BatchResponse> }).pendingBatchResponse;
      if (!pending) {
        const reason = describeError(error);
        return batch.map((message) => ({ token: message.token, outcome: 'error', error: reason }));
      }
      response = await pending;
    }
    return batch.map((message, index) => toResult(message.token, response.responses[index]));
  }

  return {
    name: 'fcm',
    app,
    async send(messages: PushMessage[]): Promise<PushResult[]> {
      const results: PushResult[] = [];
      for (let start = 0; start < messages.length; start += FCM_MAX_BATCH) {
        results.push(...(await sendBatch(messages.slice(start, start + FCM_MAX_BATCH))));
      }
      return results;
    },
    close(): Promise<void> {
      closed ??= deleteApp(app);
      return closed;
    },
  };
}

function toResult(token: string, response: SendResponse | undefined): PushResult {
  if (response?.success) return { token, outcome: 'sent', providerMessageId: response.messageId };
  const code = response?.error?.code ?? 'messaging/unknown-error';
  const message = response?.error?.message ?? 'no answer for this message';
  return { token, outcome: classifyFcmError(code, message), error: truncate(`${code}: ${message}`) };
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return truncate(typeof code === 'string' ? `${code}: ${message}` : message);
}

function truncate(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
