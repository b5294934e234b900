import { WebSocket } from 'ws';

/**
 * Caps the bytes a socket may hold unsent. graphql-ws awaits each write until the kernel took
 * it, so a client that stops reading would stall its subscriptions while their queues fill;
 * instead every send here is queued at once and checked: once more than `maxBufferedBytes`
 * are waiting (ws `bufferedAmount`: its own buffer plus the TCP socket's), the next send calls
 * `onOverflow` (which closes the socket) and is dropped. Memory per socket stays below the cap
 * plus one message, and the event loops of other sockets never wait for this one.
 */
export function guardSendBuffer(socket: WebSocket, maxBufferedBytes: number, onOverflow: () => void): void {
  const send = socket.send.bind(socket) as (data: unknown, callback?: (error?: Error) => void) => void;
  const guarded = (data: unknown, optionsOrCallback?: unknown, maybeCallback?: unknown) => {
    const callback = (typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback) as ((error?: Error) => void) | undefined;
    if (socket.readyState !== WebSocket.OPEN) {
      send(data, callback);
      return;
    }
    if (socket.bufferedAmount > maxBufferedBytes) {
      onOverflow();
    } else {
      send(data);
    }
    if (callback) process.nextTick(callback);
  };
  Object.assign(socket, { send: guarded });
}
