import type { Logger } from '../observability/logger';
import { PresenceStatus } from '../schema/common/enums';
import {
  defaultPresenceTimings,
  notifyPresence,
  type ConnectionPresenceTracker,
  type PresenceListener,
} from './presence-tracker';

/** Options of {@link InProcessPresenceTracker}. */
export interface InProcessPresenceOptions {
  logger: Logger;
  onChange?: PresenceListener;
  /** Default 10000 ms. */
  graceMs?: number;
}

/**
 * Presence of a single instance (REDIS_URL unset): connection counts in memory and a grace
 * timer per user. Same transitions as the Redis tracker, minus instance death (a dead process
 * takes its listeners with it).
 */
export class InProcessPresenceTracker implements ConnectionPresenceTracker {
  private readonly counts = new Map<string, number>();
  private readonly online = new Set<string>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private readonly graceMs: number;

  constructor(private readonly options: InProcessPresenceOptions) {
    this.graceMs = options.graceMs ?? defaultPresenceTimings.graceMs;
  }

  async start(): Promise<void> {}

  async connect(userId: string): Promise<{ cameOnline: boolean }> {
    this.counts.set(userId, (this.counts.get(userId) ?? 0) + 1);
    this.cancelGrace(userId);
    if (this.online.has(userId)) return { cameOnline: false };
    this.online.add(userId);
    this.notify(userId, PresenceStatus.ONLINE, null);
    return { cameOnline: true };
  }

  async disconnect(userId: string): Promise<void> {
    const count = this.counts.get(userId) ?? 0;
    if (count === 0) {
      this.options.logger.warn({ userId }, 'presence disconnect without a connection');
      return;
    }
    if (count > 1) {
      this.counts.set(userId, count - 1);
      return;
    }
    this.counts.delete(userId);
    const lastSeenAt = new Date();
    const timer = setTimeout(() => this.expireGrace(userId, lastSeenAt), this.graceMs);
    timer.unref();
    this.graceTimers.set(userId, timer);
  }

  async statusOf(userIds: readonly string[]): Promise<PresenceStatus[]> {
    return userIds.map((id) => (this.online.has(id) ? PresenceStatus.ONLINE : PresenceStatus.OFFLINE));
  }

  /** Stops the grace timers; users still in grace get no OFFLINE event. */
  async close(): Promise<void> {
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  private cancelGrace(userId: string): void {
    clearTimeout(this.graceTimers.get(userId));
    this.graceTimers.delete(userId);
  }

  private expireGrace(userId: string, lastSeenAt: Date): void {
    this.graceTimers.delete(userId);
    if (this.counts.has(userId) || !this.online.delete(userId)) return;
    this.notify(userId, PresenceStatus.OFFLINE, lastSeenAt);
  }

  private notify(userId: string, status: PresenceStatus, lastSeenAt: Date | null): void {
    notifyPresence(this.options.onChange, { userId, status, lastSeenAt }, this.options.logger);
  }
}
