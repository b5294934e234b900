import { createApiClient } from '../apollo/client';
import { addMessageToCache } from '../apollo/cache-updates';
import { Outbox } from '../offline/outbox';
import { OutboxStore } from '../offline/outbox-store';
import { createSender } from '../offline/senders';
import type { Session } from './api-context';

/**
 * One signed-in tab: the API client (its socket opens now), the outbox restored from
 * IndexedDB, and the triggers that flush it: every (re)connect of the socket and the
 * browser's online event.
 */
export function startSession(token: string, viewerId: string, origin: string = window.location.origin): Session {
  const api = createApiClient(token, origin);
  // One outbox per user: another account signing in on this browser must not send them.
  const store = new OutboxStore(`messaging-outbox-${viewerId}`);
  const outbox = new Outbox(store, createSender(api, origin), (message) => addMessageToCache(api.apollo.cache, message));
  let generation = 0;
  api.status.subscribe(() => {
    const status = api.status.get();
    if (status.connected && status.generation !== generation) {
      generation = status.generation;
      void outbox.flush();
    }
  });
  window.addEventListener('online', () => void outbox.flush());
  return { api, outbox, viewerId };
}
