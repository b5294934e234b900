import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * WebSocket subscribers for bench/realtime.bench.ts: thousands of them live in the bench
 * process, so the two-instance phase's default is a thin `graphql-transport-ws` client
 * (connection_init, one subscribe, answers protocol pings: about what graphql-ws does on the
 * wire, without its per-client retry machinery, message validation and closures).
 * BENCH_CLIENT=graphql-ws, and always the one-instance phases, use graphql-ws's own
 * `createClient({ lazy: false })` instead, as an app would. The raw reference
 * uses {@link openRawSubscriber}. Arrival times are taken before JSON parsing (thin and raw
 * clients) or in graphql-ws's `next` (after its parsing and validation).
 */

/** What a subscriber reports: a delivery (its parsed JSON and the arrival time), an error or a close. */
export interface SubscriberEvents {
  onData(data: unknown, arrivedAt: number): void;
  onError(message: string): void;
  onClose(code: number, reason: string): void;
}

export interface Subscriber {
  /** Resolves once the server acknowledged the connection and the subscribe message was sent. */
  readonly connected: Promise<void>;
  close(): void;
}

export type ClientKind = 'thin' | 'graphql-ws';

/** A graphql-ws subscriber: one socket, `connection_init` with the bearer token, one subscription. */
export function openGraphqlSubscriber(
  kind: ClientKind,
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  events: SubscriberEvents,
): Subscriber {
  return kind === 'graphql-ws' ? libraryClient(url, token, query, variables, events) : thinClient(url, token, query, variables, events);
}

function thinClient(url: string, token: string, query: string, variables: Record<string, unknown>, events: SubscriberEvents): Subscriber {
  const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
  let settle: { resolve: () => void; reject: (error: Error) => void };
  const connected = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  connected.catch(() => {});
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
  socket.on('message', (raw: Buffer) => {
    const arrivedAt = performance.now();
    const message = JSON.parse(raw.toString('utf8')) as { type: string; id?: string; payload?: { data?: unknown; errors?: unknown } | unknown[] };
    switch (message.type) {
      case 'next': {
        const payload = message.payload as { data?: unknown; errors?: unknown };
        if (payload.errors) events.onError(JSON.stringify(payload.errors));
        if (payload.data) events.onData(payload.data, arrivedAt);
        break;
      }
      case 'connection_ack':
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
        settle.resolve();
        break;
      case 'ping':
        socket.send(JSON.stringify({ type: 'pong' }));
        break;
      case 'error':
        events.onError(JSON.stringify(message.payload));
        break;
      case 'complete':
        events.onError('subscription completed by the server');
        break;
    }
  });
  socket.on('error', (error) => {
    settle.reject(error);
    events.onError(error.message);
  });
  socket.on('close', (code, reason) => {
    settle.reject(new Error(`closed ${code} ${reason.toString()}`));
    events.onClose(code, reason.toString());
  });
  return { connected, close: () => socket.terminate() };
}

function libraryClient(url: string, token: string, query: string, variables: Record<string, unknown>, events: SubscriberEvents): Subscriber {
  let settle: { resolve: () => void; reject: (error: Error) => void };
  const connected = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  connected.catch(() => {});
  let closing = false;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    onNonLazyError: (error) => events.onError(String(error)),
    on: {
      connected: () => settle.resolve(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        settle.reject(new Error(`closed ${code} ${reason}`));
        if (!closing) events.onClose(code, String(reason));
      },
    },
  });
  client.subscribe(
    { query, variables },
    {
      next: (result) => {
        const arrivedAt = performance.now();
        if (result.errors) events.onError(JSON.stringify(result.errors));
        if (result.data) events.onData(result.data, arrivedAt);
      },
      error: (error) => events.onError(error instanceof Error ? error.message : JSON.stringify(error)),
      complete: () => {},
    },
  );
  return {
    connected,
    close: () => {
      closing = true;
      void client.dispose();
    },
  };
}

/**
 * A client of the raw reference server: the user (inbox form) or conversation id in the URL;
 * `ok` once its Redis channel is subscribed.
 */
export function openRawSubscriber(url: string, kind: 'user' | 'conversation', id: string, events: SubscriberEvents): Subscriber {
  const socket = new WebSocket(`${url}/?${kind}=${encodeURIComponent(id)}`, { perMessageDeflate: false });
  let settle: { resolve: () => void; reject: (error: Error) => void };
  const connected = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  connected.catch(() => {});
  socket.on('message', (raw: Buffer) => {
    const arrivedAt = performance.now();
    const text = raw.toString('utf8');
    if (text === 'ok') settle.resolve();
    else events.onData((JSON.parse(text) as { payload: { data: unknown } }).payload.data, arrivedAt);
  });
  socket.on('error', (error) => {
    settle.reject(error);
    events.onError(error.message);
  });
  socket.on('close', (code, reason) => {
    settle.reject(new Error(`closed ${code} ${reason.toString()}`));
    events.onClose(code, reason.toString());
  });
  return { connected, close: () => socket.terminate() };
}
