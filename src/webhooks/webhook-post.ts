import type { LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isPublicAddress } from './url-guard';

/** The result of one attempt: an HTTP status, or why there was none. */
export type PostResult = { status: number } | { error: 'timeout' | 'refused' | 'network' };

export interface PostOptions {
  timeoutMs: number;
  /** False outside development: the address connected to must be public. */
  allowPrivate: boolean;
}

/**
 * POSTs one webhook body. node:http rather than fetch, because its `lookup` hook lets the
 * address check run on the very address the socket connects to (fetch would need undici's
 * dispatcher for that): a name that resolved to a public address when it was checked cannot
 * switch to a private one for the connection (DNS rebinding). Redirects are never followed
 * (node:http does not follow them; a 3xx is not a 2xx, so it counts as a failure).
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<PostResult> {
  return new Promise((resolve) => {
    let refused = false;
    const guardedLookup: LookupFunction = (host, lookupOptions, callback) => {
      dnsLookup(host, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 0);
        if (!options.allowPrivate && !addresses.every((entry) => isPublicAddress(entry.address))) {
          refused = true;
          return callback(new Error('webhook host resolves to a non-public address'), '', 0);
        }
        if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      });
    };
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'marketplace-messaging-webhooks', ...headers },
        lookup: guardedLookup,
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response) => {
        // The answer's body is not needed: drained so that the socket is released.
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', () => resolve({ status: response.statusCode ?? 0 }));
      },
    );
    request.on('error', (error: Error & { name?: string; code?: string }) => {
      if (refused) resolve({ error: 'refused' });
      else if (error.name === 'AbortError' || error.code === 'ABORT_ERR') resolve({ error: 'timeout' });
      else resolve({ error: 'network' });
    });
    request.end(body);
  });
}
