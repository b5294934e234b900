import { createHash } from 'node:crypto';

/**
 * A short, stable reference to a push token for logs: the first 12 hex characters of its
 * SHA-256. Enough to correlate log lines about one device, useless to send a push with.
 */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}
