import type { AddressInfo } from 'node:net';
import { buildSchema } from 'graphql';
import { createClient, makeServer, type Client } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { attachGraphqlWs, type MessageGate, type WsExtra } from '../../src/server/ws-adapter';

// The adapter on its own: graphql-ws's core behind our ws glue, with a message gate as the
// per-message hook (socket rate limits use it).
const schema = buildSchema('type Query { hello: String }');
const GATE_CLOSE = 4290;

async function start(gates: MessageGate[]) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const opened: WebSocket[] = [];
  const adapter = attachGraphqlWs(wss, makeServer<Record<string, unknown> | undefined, WsExtra>({ schema, roots: { query: { hello: () => 'world' } } }), {
    keepAliveMs: 0,
    maxBufferedBytes: 1024 * 1024,
    messageGates: gates,
    onOpen: (socket) => opened.push(socket),
    onSlowConsumer: (socket) => socket.close(4008, 'Slow consumer'),
    onError: () => {},
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  return { url, opened, dispose: () => adapter.dispose() };
}

function client(url: string, closed: (code: number) => void): Client {
  return createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, on: { closed: (event) => closed((event as { code: number }).code) } });
}

const hello = (c: Client) =>
  new Promise<unknown>((resolve, reject) => {
    c.subscribe({ query: '{ hello }' }, { next: resolve, error: reject, complete: () => {} });
  });

test('a query goes through the adapter, and onOpen sees the socket', async () => {
  const server = await start([]);
  const c = client(server.url, () => {});
  try {
    await expect(hello(c)).resolves.toEqual({ data: { hello: 'world' } });
    expect(server.opened).toHaveLength(1);
  } finally {
    await c.dispose();
    await server.dispose();
  }
});

test('a gate that refuses a message keeps it from graphql-ws and answers the client itself', async () => {
  const seen: string[] = [];
  const refuseSubscribes: MessageGate = (socket, data) => {
    seen.push(JSON.parse(data).type);
    if (!data.includes('"subscribe"')) return true;
    socket.close(GATE_CLOSE, 'Refused');
    return false;
  };
  const server = await start([refuseSubscribes]);
  let closedWith: number | undefined;
  const c = client(server.url, (code) => (closedWith = code));
  try {
    await expect(hello(c)).rejects.toBeDefined();
    expect(closedWith).toBe(GATE_CLOSE);
    expect(seen).toEqual(['connection_init', 'subscribe']);
  } finally {
    await c.dispose();
    await server.dispose();
  }
});
