/**
 * The reference of bench/realtime.bench.ts: the same per-user Redis fan-out with nothing but
 * `ws` and ioredis. A client connects to ws://HOST:PORT/?user=ID; the server SUBSCRIBEs
 * `<REF_PREFIX>user:<ID>`, answers `ok` once Redis confirmed it, and writes every message of
 * that channel to the user's sockets as it is (no GraphQL, no authentication, no presence).
 * Settings: PORT, REDIS_URL, REF_PREFIX. GET / answers 200 (readiness).
 */
import http from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT ?? 4831);
const prefix = process.env.REF_PREFIX ?? 'bench-ref:';
const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { connectionName: 'bench-ref:subscriber' });
const byChannel = new Map<string, Set<WebSocket>>();

subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
  const sockets = byChannel.get(channel.toString());
  if (!sockets) return;
  for (const socket of sockets) socket.send(message, { binary: false });
});

const server = http.createServer((_request, response) => response.end('ok'));
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 });
wss.on('connection', (socket, request) => {
  const user = new URL(request.url ?? '/', 'http://localhost').searchParams.get('user');
  if (!user) {
    socket.close(4400, 'user missing');
    return;
  }
  const channel = `${prefix}user:${user}`;
  let sockets = byChannel.get(channel);
  const first = !sockets;
  if (!sockets) byChannel.set(channel, (sockets = new Set()));
  sockets.add(socket);
  const subscribed = first ? subscriber.subscribe(channel) : Promise.resolve();
  subscribed.then(
    () => socket.send('ok'),
    () => socket.close(1011, 'subscribe failed'),
  );
  socket.on('close', () => {
    sockets.delete(socket);
    if (sockets.size === 0) {
      byChannel.delete(channel);
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
