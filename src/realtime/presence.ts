import type { PresenceStatus } from '../schema/common/enums';

/**
 * Who is online. Issue #3 replaces the offline-only default with connection counts in Redis
 * (or in process), heartbeats and a disconnect grace period.
 */
export interface PresenceTracker {
  /** Current status of each user, in the order of `userIds`. */
  statusOf(userIds: readonly string[]): Promise<PresenceStatus[]>;
  close(): Promise<void>;
}
