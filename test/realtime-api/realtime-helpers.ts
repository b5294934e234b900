import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { CHILD_METRICS_TOKEN } from '../../bench/lib';
import type { TestServer } from '../helpers/test-server';

export { conversationPair, describeWithRedis } from '../helpers/test-server';

/**
 * Real graphql-ws clients over real sockets, for test/realtime-api. A {@link Stream} records
 * what one subscription receives; {@link waitForSubscriptions} reads the server's
 * `ws_active_subscriptions` gauge from /metrics, the only signal that a live subscription is in
 * place (the protocol has no per-subscription acknowledgement).
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true; fails naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** The ws:// URL of a server's GraphQL endpoint (an http(s) base URL or a TestServer). */
export function wsUrl(server: TestServer | string): string {
  const base = typeof server === 'string' ? `${server}/graphql` : server.url;
  return base.replace(/^http/, 'ws');
}

/** One metric sample from a server's /metrics (0 when absent). */
export async function metricValue(server: TestServer | string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = typeof server === 'string' ? server : server.url.replace(/\/graphql$/, '');
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${CHILD_METRICS_TOKEN}` } });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((label) => line.includes(label))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Waits until the server runs at least `count` subscriptions of root field `kind`. */
export async function waitForSubscriptions(server: TestServer | string, kind: string, count: number, timeoutMs = 5000): Promise<void> {
  await waitUntil(async () => (await metricValue(server, 'ws_active_subscriptions', { kind })) >= count, `${count} ${kind} subscription(s)`, timeoutMs);
}

/** How the server closed a client's socket. */
export interface Closed {
  code: number;
  reason: string;
}

/** A graphql-ws client that records its close events and never retries on its own. */
export class RealtimeClient {
  readonly closes: Closed[] = [];
  readonly client: Client;
  private readonly streams = new Set<Stream<unknown>>();

  constructor(url: string, token: string | null, options: { lazy?: boolean } = {}) {
    this.client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: options.lazy ?? true,
      onNonLazyError: () => {},
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          this.closes.push({ code, reason: String(reason) });
        },
      },
    });
  }

  subscribe<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables): Stream<TResult> {
    const stream = new Stream<TResult>(this.client, print(document), variables as Record<string, unknown>);
    this.streams.add(stream as Stream<unknown>);
    return stream;
  }

  /** Runs an untyped operation (e.g. one the server must refuse). */
  subscribeRaw(query: string, variables: Record<string, unknown> = {}): Stream<Record<string, unknown>> {
    const stream = new Stream<Record<string, unknown>>(this.client, query, variables);
    this.streams.add(stream as Stream<unknown>);
    return stream;
  }

  /** Waits for the first close event of the socket. */
  async closed(timeoutMs = 5000): Promise<Closed> {
    await waitUntil(() => this.closes.length > 0, 'the socket to close', timeoutMs);
    return this.closes[0];
  }

  async dispose(): Promise<void> {
    for (const stream of this.streams) stream.stop();
    await this.client.dispose();
  }
}

/** What one subscription received, in order. */
export class Stream<T> {
  readonly values: T[] = [];
  /** Errors in `next` payloads (e.g. NOT_FOUND when the subscription starts) and `error` messages. */
  readonly errors: { message: string; extensions?: Record<string, unknown> }[] = [];
  failure: unknown = null;
  completed = false;
  private consumed = 0;
  private readonly unsubscribe: () => void;

  constructor(client: Client, query: string, variables: Record<string, unknown>) {
    this.unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (result: ExecutionResult<T>) => {
          if (result.errors) this.errors.push(...(result.errors as unknown as Stream<T>['errors']));
          if (result.data) this.values.push(result.data as T);
        },
        error: (error: unknown) => {
          this.failure = error;
          if (Array.isArray(error)) this.errors.push(...(error as Stream<T>['errors']));
        },
        complete: () => {
          this.completed = true;
        },
      },
    );
  }

  /** The next value not returned by an earlier `next()`. */
  async next(timeoutMs = 5000): Promise<T> {
    await waitUntil(() => this.values.length > this.consumed, 'the next subscription event', timeoutMs);
    return this.values[this.consumed++];
  }

  async count(n: number, timeoutMs = 5000): Promise<T[]> {
    await waitUntil(() => this.values.length >= n, `${n} subscription events (have ${this.values.length})`, timeoutMs);
    return this.values;
  }

  /** The error codes the subscription ended with. */
  async errorCodes(timeoutMs = 5000): Promise<unknown[]> {
    await waitUntil(() => this.errors.length > 0 || this.failure !== null, 'a subscription error', timeoutMs);
    return this.errors.map((error) => error.extensions?.code);
  }

  stop(): void {
    this.unsubscribe();
  }
}

