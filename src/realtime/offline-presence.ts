import { PresenceStatus } from '../schema/common/enums';
import type { PresenceTracker } from './presence';

/** Presence for processes that hold no sockets (scripts, jobs): everyone is OFFLINE. */
export class OfflinePresence implements PresenceTracker {
  async statusOf(userIds: readonly string[]): Promise<PresenceStatus[]> {
    return userIds.map(() => PresenceStatus.OFFLINE);
  }

  async close(): Promise<void> {}
}
