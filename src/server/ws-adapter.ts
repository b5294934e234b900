import type http from 'node:http';
import { CloseCode, handleProtocols, type Server } from 'graphql-ws';
import { WebSocket, type WebSocketServer } from 'ws';

/** What graphql-ws hands our callbacks as `ctx.extra` (the same shape as its own `use/ws`). */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
}

/**
 * Runs for every message a client sends, before graphql-ws reads it. Return `false` to drop
 * the message; the gate then answers the client itself (usually by closing the socket). This
 * is where per-socket limits on incoming messages (rate limits) belong.
 */
export type MessageGate = (socket: WebSocket, data: string) => boolean;

export interface WsAdapterOptions {
  /** Ping interval; a socket that has not answered the previous ping by the next one is terminated. 0 disables. */
  keepAliveMs: number;
  /** Unsent bytes (ws `bufferedAmount`) above which the next outgoing message calls `onSlowConsumer` and is dropped. */
  maxBufferedBytes: number;
  /** Called before graphql-ws sees the socket: per-socket state is registered here. */
  onOpen(socket: WebSocket): void;
  /** The socket holds more than `maxBufferedBytes` unsent: close it (the message is dropped). */
  onSlowConsumer(socket: WebSocket): void;
  /**
   * `socket`: a socket-level error (a client fault such as a frame over maxPayload, which ws
   * has already answered with 1009); `handler`: our graphql-ws callbacks threw (a bug).
   */
  onError(socket: WebSocket, error: unknown, source: 'socket' | 'handler'): void;
  /** Checked in order for every incoming message; see {@link MessageGate}. */
  messageGates?: readonly MessageGate[];
}

/**
 * Our own `ws` adapter for graphql-ws's `makeServer` core, modelled on graphql-ws's
 * `use/ws.ts`. We do not use `useServer` because two behaviours must differ and it offers no
 * hook for them: (1) back-pressure: its `send` waits until the kernel took each write, so a
 * client that stops reading stalls its subscriptions while their queues fill; ours queues at
 * once and drops the socket (4008) past `maxBufferedBytes`, so memory per socket stays below
 * the cap plus one message; (2) errors go to our logger instead of `console.error`.
 * Returns `dispose()`: closes every socket with 1001 and stops the server.
 */
export function attachGraphqlWs(
  wss: WebSocketServer,
  server: Server<WsExtra>,
  options: WsAdapterOptions,
): { dispose(): Promise<void> } {
  const gates = options.messageGates ?? [];
  wss.options.handleProtocols = handleProtocols;
  // With `noServer` the ws server has no listening socket of its own; an error here is a bug.
  wss.on('error', (error) => {
    for (const client of wss.clients) options.onError(client, error, 'handler');
  });

  wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    options.onOpen(socket);
    socket.on('error', (error) => {
      options.onError(socket, error, 'socket');
      if (socket.readyState === WebSocket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal error');
    });
    const stopKeepAlive = keepAlive(socket, options.keepAliveMs);

    const closed = server.opened(
      {
        protocol: socket.protocol,
        // No promise: graphql-ws would wait for it before its next send on this socket.
        send: (data) => {
          if (socket.readyState !== WebSocket.OPEN) return;
          if (socket.bufferedAmount > options.maxBufferedBytes) options.onSlowConsumer(socket);
          else socket.send(data);
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (raw) => {
            const data = String(raw);
            for (const gate of gates) if (!gate(socket, data)) return;
            try {
              await handle(data);
            } catch (error) {
              options.onError(socket, error, 'handler');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );

    socket.once('close', (code, reason) => {
      stopKeepAlive();
      closed(code, String(reason)).catch((error: unknown) => options.onError(socket, error, 'handler'));
    });
  });

  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** Pings every `intervalMs`; a socket whose pong has not come back by the next tick is terminated. */
function keepAlive(socket: WebSocket, intervalMs: number): () => void {
  if (!(intervalMs > 0 && Number.isFinite(intervalMs))) return () => {};
  let pongWait: NodeJS.Timeout | null = null;
  const interval = setInterval(() => {
    if (socket.readyState !== WebSocket.OPEN) return;
    pongWait = setTimeout(() => socket.terminate(), intervalMs);
    socket.once('pong', () => {
      if (pongWait) clearTimeout(pongWait);
      pongWait = null;
    });
    socket.ping();
  }, intervalMs);
  return () => {
    if (pongWait) clearTimeout(pongWait);
    clearInterval(interval);
  };
}
