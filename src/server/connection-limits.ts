import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../observability/logger';

/** Options of {@link limitConnections}. */
export interface ConnectionLimits {
  /** Open TCP connections one peer address may hold, HTTP and WebSocket together; 0: no cap. */
  maxPerIp: number;
  logger: Logger;
}

/**
 * Slow clients and connection floods: a request sent at 1 byte/s is answered 408 after
 * `requestTimeoutMs` instead of holding a socket for five minutes, and one address cannot hold
 * more than `maxPerIp` connections (further ones are closed at once, before any byte is read).
 * The cap counts the TCP peer: behind a load balancer, every connection comes from it, so raise
 * the cap there (or set 0) and let the balancer limit per client.
 */
/**
 * Options for http.createServer: Node checks the two timeouts every
 * `connectionsCheckingInterval` (30 s by default), so short timeouts need a shorter interval.
 */
export function httpServerOptions(limits: {
  /** Time a client gets to send its request headers (Node's default: 60 s). */
  headersTimeoutMs: number;
  /** Time a client gets to send its whole request, body included (Node's default: 300 s). */
  requestTimeoutMs: number;
}): http.ServerOptions {
  return {
    // Node refuses a headers timeout longer than the request timeout.
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

export function limitConnections(server: http.Server, limits: ConnectionLimits): void {
  if (limits.maxPerIp <= 0) return;
  const open = new Map<string, number>();
  let refusedSinceLog = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= limits.maxPerIp) {
      // Logged once per burst, not per connection: a flood must not become a log flood.
      if (refusedSinceLog++ === 0) limits.logger.warn({ limit: limits.maxPerIp }, 'connections refused: too many from one address');
      setTimeout(() => (refusedSinceLog = 0), 10_000).unref();
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
