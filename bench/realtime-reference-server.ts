/**
 * The reference of bench/realtime.bench.ts: the same Redis fan-out with nothing but `ws` and
 * ioredis. A client connects to ws://HOST:PORT/?user=ID (the inbox form: one channel per user)
 * or ws://HOST:PORT/?conversation=ID (the conversation form: one channel per conversation,
 * shared by its participants' sockets); the server SUBSCRIBEs `<REF_PREFIX>user:<ID>` or
 * `<REF_PREFIX>conversation:<ID>` (once per channel and process), answers `ok` once Redis
 * confirmed it, and writes every message of that channel to its sockets as it is (no GraphQL,
 * no authentication, no presence). Settings: PORT, REDIS_URL, REF_PREFIX. GET / answers 200
 * (readiness).
 */
import http from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT ?? 4831);
const prefix = process.env.REF_PREFIX ?? 'bench-ref:';
const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { connectionName: 'bench-ref:subscriber' });
const byChannel = new Map<string, Set<WebSocket>>();
/** The SUBSCRIBE of each channel, so that a second socket's `ok` also waits for Redis's confirmation. */
const subscribing = new Map<string, Promise<unknown>>();

subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
  const sockets = byChannel.get(channel.toString());
  if (!sockets) return;
  for (const socket of sockets) socket.send(message, { binary: false });
});

/** The channel a connection asks for: `?user=ID` or `?conversation=ID`. */
function channelOf(url: string | undefined): string | null {
  const params = new URL(url ?? '/', 'http://localhost').searchParams;
  for (const kind of ['user', 'conversation']) {
    const id = params.get(kind);
    if (id) return `${prefix}${kind}:${id}`;
  }
  return null;
}

const server = http.createServer((_request, response) => response.end('ok'));
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 });
wss.on('connection', (socket, request) => {
  const channel = channelOf(request.url);
  if (!channel) {
    socket.close(4400, 'user or conversation missing');
    return;
  }
  let sockets = byChannel.get(channel);
  if (!sockets) {
    byChannel.set(channel, (sockets = new Set()));
    subscribing.set(channel, subscriber.subscribe(channel));
  }
  sockets.add(socket);
  subscribing.get(channel)!.then(
    () => socket.send('ok'),
    () => socket.close(1011, 'subscribe failed'),
  );
  socket.on('close', () => {
    sockets.delete(socket);
    if (sockets.size === 0) {
      byChannel.delete(channel);
      subscribing.delete(channel);
      void subscriber.unsubscribe(channel).catch(() => {});
    }
  });
  socket.on('error', () => socket.terminate());
});

server.listen(port, '127.0.0.1');
const stop = () => {
  for (const socket of wss.clients) socket.terminate();
  server.close();
  subscriber.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
