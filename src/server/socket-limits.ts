import type { WebSocket } from 'ws';
import type { Logger } from '../observability/logger';

/** Close code of a socket that sent more messages than WS_MAX_MESSAGES_PER_SECOND (the HTTP 429 of WebSocket). */
export const TOO_MANY_MESSAGES_CLOSE_CODE = 4429;

/**
 * Caps the messages one socket may send per second: graphql-ws messages (subscribe, ping,
 * complete, ...) and WebSocket ping frames alike. 100,000 pings used to keep the event loop
 * busy for seconds; now the socket is closed with 4429 and destroyed as soon as it goes over,
 * and what it still sends is dropped. In memory: a socket lives on one instance.
 *
 * A counter of its own rather than rate-limiter-flexible: the decision must be taken
 * synchronously, before graphql-ws handles the message, and the library answers with a promise.
 *
 * `allow` has the shape of a per-message gate (`(socket, data) => boolean`, false: drop the
 * message), so that a WebSocket layer with message gates can use it as one.
 */
export class SocketMessageLimiter {
  private readonly state = new WeakMap<WebSocket, { windowStart: number; count: number; closed: boolean }>();

  constructor(
    private readonly perSecond: number,
    private readonly logger: Logger,
    private readonly socketId: (socket: WebSocket) => string | undefined = () => undefined,
  ) {}

  /** Counts one message of `socket`; false once the socket went over (it is being closed). */
  readonly allow = (socket: WebSocket): boolean => {
    let state = this.state.get(socket);
    if (!state) {
      state = { windowStart: 0, count: 0, closed: false };
      this.state.set(socket, state);
    }
    if (state.closed) return false;
    const now = Date.now();
    if (now - state.windowStart >= 1000) {
      state.windowStart = now;
      state.count = 0;
    }
    state.count += 1;
    if (state.count <= this.perSecond) return true;
    state.closed = true;
    this.logger.warn({ socketId: this.socketId(socket), limit: this.perSecond }, 'closing socket: too many messages');
    socket.close(TOO_MANY_MESSAGES_CLOSE_CODE, 'Too many messages');
    // The close frame goes out first; then the socket is gone, and its unread frames with it.
    setImmediate(() => socket.terminate());
    return false;
  };

  /** WebSocket ping frames count too (ws answers them itself, below any message gate). */
  watchPings(socket: WebSocket): void {
    socket.prependListener('ping', () => this.allow(socket));
  }
}
