import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Viewer } from '../auth/viewer';
import type { Logger } from '../observability/logger';
import type { ConnectionPresenceTracker } from '../realtime/presence-tracker';
import { RealtimeCloseCode } from './close-codes';

/** setTimeout's longest delay; longer token lifetimes re-arm the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The state of one WebSocket: who it belongs to, its token's expiry, its running subscriptions. */
export class SocketSession {
  readonly id = randomUUID();
  viewer: Viewer | null = null;
  /** Running subscriptions: operation id -> root field, for the active-subscriptions gauge. */
  readonly subscriptions = new Map<string, string>();
  closedAsSlow = false;
  closed = false;
  expiryTimer: NodeJS.Timeout | undefined;
  /** The presence `connect` of this socket, awaited before its `disconnect`. */
  presence: Promise<unknown> | null = null;

  constructor(readonly socket: WebSocket) {}

  get userId(): string | null {
    return this.viewer?.kind === 'user' ? this.viewer.id : null;
  }
}

/** Options of {@link SocketSessions}. */
export interface SocketSessionsOptions {
  presence: ConnectionPresenceTracker;
  logger: Logger;
  /** Sockets one user may hold open on this instance. */
  maxSocketsPerUser: number;
}

/**
 * Every socket of this instance: admission of authenticated viewers (sockets per user),
 * closing when the token expires, and presence (connect on admission, disconnect on close).
 */
export class SocketSessions {
  private readonly bySocket = new WeakMap<WebSocket, SocketSession>();
  private readonly socketsPerUser = new Map<string, number>();

  constructor(private readonly options: SocketSessionsOptions) {}

  open(socket: WebSocket): SocketSession {
    const session = new SocketSession(socket);
    this.bySocket.set(socket, session);
    return session;
  }

  get(socket: WebSocket): SocketSession | undefined {
    return this.bySocket.get(socket);
  }

  /**
   * Lets an authenticated viewer in, or answers the close code that refuses them. On
   * admission: the expiry timer runs and the user counts as connected for presence.
   */
  admit(session: SocketSession, viewer: Viewer): RealtimeCloseCode | null {
    if (session.closed) return null;
    if (viewer.kind === 'user') {
      const open = this.socketsPerUser.get(viewer.id) ?? 0;
      if (open >= this.options.maxSocketsPerUser) return RealtimeCloseCode.TooManyConnections;
      this.socketsPerUser.set(viewer.id, open + 1);
    }
    session.viewer = viewer;
    this.armExpiry(session, viewer.expiresAt);
    if (viewer.kind === 'user') session.presence = this.options.presence.connect(viewer.id).catch((error: unknown) => this.presenceFailed(error, viewer.id));
    return null;
  }

  /** Releases what the socket held; runs once, whatever closed it. */
  async close(session: SocketSession): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    clearTimeout(session.expiryTimer);
    const userId = session.userId;
    if (!userId) return;
    const open = (this.socketsPerUser.get(userId) ?? 1) - 1;
    if (open > 0) this.socketsPerUser.set(userId, open);
    else this.socketsPerUser.delete(userId);
    if (session.presence) {
      await session.presence;
      await this.options.presence.disconnect(userId).catch((error: unknown) => this.presenceFailed(error, userId));
    }
  }

  private armExpiry(session: SocketSession, expiresAt: number): void {
    const left = expiresAt - Date.now();
    if (left > MAX_TIMER_MS) {
      session.expiryTimer = setTimeout(() => this.armExpiry(session, expiresAt), MAX_TIMER_MS);
    } else {
      session.expiryTimer = setTimeout(() => {
        this.options.logger.info({ socketId: session.id, userId: session.userId }, 'closing socket: token expired');
        session.socket.close(RealtimeCloseCode.Unauthorized, 'Token expired');
      }, Math.max(0, left));
    }
    session.expiryTimer.unref();
  }

  private presenceFailed(error: unknown, userId: string): void {
    this.options.logger.warn({ err: error, userId }, 'presence update failed');
  }
}
