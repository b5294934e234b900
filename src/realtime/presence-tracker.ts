import type { PresenceStatus } from '../schema/common/enums';
import type { PresenceTracker } from './presence';

/** One presence transition, reported once per real transition across all instances. */
export interface PresenceChange {
  userId: string;
  status: PresenceStatus;
  /** When the user was last connected: set on OFFLINE, null on ONLINE. */
  lastSeenAt: Date | null;
}

/**
 * Receives every transition (ONLINE and OFFLINE), e.g. to publish a PresenceEvent and persist
 * `lastSeenAt`. Errors and rejections are logged, never retried.
 */
export type PresenceListener = (change: PresenceChange) => void | Promise<void>;

/** Timings of presence; injectable so that tests run in milliseconds. */
export interface PresenceTimings {
  /** How long after the user's last connection closed the user turns OFFLINE. Default 10000. */
  graceMs?: number;
  /** How often an instance proves it is alive. Default 10000. */
  heartbeatMs?: number;
  /** How long an instance counts as alive after its last heartbeat. Default 30000. */
  instanceTtlMs?: number;
  /** How often some instance looks for dead instances and overdue grace periods. Default 10000. */
  sweepMs?: number;
}

/** The contract's timings: OFFLINE 10 s after the last close; a dead instance's users within 60 s. */
export const defaultPresenceTimings: Required<PresenceTimings> = {
  graceMs: 10_000,
  heartbeatMs: 10_000,
  instanceTtlMs: 30_000,
  sweepMs: 10_000,
};

/**
 * Presence fed by connections: the WebSocket server calls `connect` when an authenticated
 * graphql-ws connection opens and `disconnect` when it closes, once per connection. A user is
 * ONLINE while any connection is open on any instance, and until `graceMs` after the last one
 * closed or until an instance holding one is found dead.
 */
export interface ConnectionPresenceTracker extends PresenceTracker {
  /** Registers with the backend and starts the timers; call once before `connect`. */
  start(): Promise<void>;
  /**
   * Counts one more connection of `userId` on this instance. `cameOnline` is true for the
   * one connection, across all instances, that turned the user ONLINE (also sent to the listener).
   */
  connect(userId: string): Promise<{ cameOnline: boolean }>;
  /** Counts one connection of `userId` fewer; the last one starts the grace period. */
  disconnect(userId: string): Promise<void>;
}

/** Hands `change` to `listener` without letting its failure reach the caller. */
export function notifyPresence(
  listener: PresenceListener | undefined,
  change: PresenceChange,
  logger: { error: (object: object, message: string) => void },
): void {
  if (!listener) return;
  Promise.resolve()
    .then(() => listener(change))
    .catch((error: unknown) => logger.error({ err: error, userId: change.userId }, 'presence listener failed'));
}
