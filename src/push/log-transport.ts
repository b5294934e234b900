import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PushMessage, PushResult, PushTransport } from './push-transport';
import { tokenFingerprint } from './token-fingerprint';

/** Tokens with this prefix answer `invalid_token`, so development and tests can exercise device removal. */
export const INVALID_TOKEN_PREFIX = 'invalid-';

/**
 * The transport used when `FIREBASE_SERVICE_ACCOUNT` is unset: writes one log line per
 * notification and answers like FCM would for a valid token. The line holds the title, the
 * body's length (never the body), the collapse key, thread, badge, data keys and a token
 * fingerprint (never the token).
 */
export function createLogTransport(logger: Logger): PushTransport {
  return {
    name: 'log',
    async send(messages: PushMessage[]): Promise<PushResult[]> {
      return messages.map((message) => {
        const invalid = message.token.startsWith(INVALID_TOKEN_PREFIX);
        const result: PushResult = invalid
          ? { token: message.token, outcome: 'invalid_token', error: 'log/invalid-token-prefix' }
          : { token: message.token, outcome: 'sent', providerMessageId: `log/${randomUUID()}` };
        logger.info(
          {
            push: {
              transport: 'log',
              // Not named `token`: the logger redacts that path, and a fingerprint is safe to show.
              device: tokenFingerprint(message.token),
              platform: message.platform,
              title: message.title,
              bodyLength: message.body.length,
              collapseKey: message.collapseKey,
              threadId: message.threadId,
              badge: message.badge,
              dataKeys: Object.keys(message.data),
              outcome: result.outcome,
              providerMessageId: result.providerMessageId,
            },
          },
          'push notification (log transport)',
        );
        return result;
      });
    },
  };
}
