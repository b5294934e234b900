/**
 * The post-deployment round trip of CONTRACT.md ("Operations"):
 *
 *   npm run smoke-test -- --url URL --token JWT [--user-token JWT --user-token JWT]
 *
 * URL is the service's origin (`/graphql` may be appended); JWT a service-role token. Two
 * throwaway users are upserted, one starts a conversation with the other, who subscribes over
 * graphql-ws; a message goes from the first to the second, who marks it read; the conversation is
 * then archived. The users' tokens are signed as `npm run token` signs them (JWT_SECRET, else the
 * dev secret of DATA_DIR); with JWT_PUBLIC_KEY only the issuer can, so pass two with --user-token.
 *
 * stdout: one line `ok|FAIL <step> <N> ms` per step, stopping at the first failure (its reason goes
 * to stderr), so that the failed step is the last line. Exit 0 when every step passed, 1 when one
 * failed, 2 on bad arguments. Every step times out after 10 s and the whole run after 30 s from the
 * process's start, whatever the server does. A failed archive (nothing else failed) is reported
 * as `FAIL archive <N> ms`: the run then left a conversation that is not archived.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { decodeJwt } from 'jose';
import WebSocket from 'ws';
import {
  ArchiveConversationDocument,
  MarkReadDocument,
  MessageReceivedDocument,
  SendMessageDocument,
  StartConversationDocument,
  UpsertUserDocument,
  type MessageFieldsFragment,
} from '../client/generated/graphql';
import { localSigningSecret, signDevToken } from '../src/auth/token-issuer';
import { loadConfig } from '../src/config';

export const STEPS = ['healthz', 'readyz', 'upsert-users', 'start-conversation', 'subscribe', 'send-and-deliver', 'mark-read'] as const;
export type StepName = (typeof STEPS)[number];

const STEP_TIMEOUT_MS = 10_000;
/** Steps end by then (from the process's start: ts-node's start-up counts), cleanup after. */
const STEPS_END_MS = 25_000;
const CLEANUP_END_MS = 27_500;
/** Whatever still hangs then (a socket that ignores its abort), the process exits. */
const HARD_EXIT_MS = 29_000;

const USAGE = `usage: npm run smoke-test -- --url URL --token JWT [--user-token JWT --user-token JWT]
  --url         the service's origin, e.g. https://messaging.example.com (a trailing /graphql is fine)
  --token       a service-role token (role "service")
  --user-token  two user tokens (twice); needed when only JWT_PUBLIC_KEY is configured`;

interface Options {
  origin: string;
  serviceToken: string;
  userTokens?: [string, string];
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'user-token': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.url) throw new UsageError('--url is required');
  if (!values.token) throw new UsageError('--token is required (a service-role JWT)');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url is not a URL: "${values.url}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http(s), got "${url.protocol}"`);
  const userTokens = values['user-token'];
  if (userTokens && userTokens.length !== 2) throw new UsageError(`--user-token must be given twice (two users), got ${userTokens.length}`);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/graphql$/, '');
  return { origin: `${url.origin}${path}`, serviceToken: values.token, userTokens: userTokens as [string, string] | undefined };
}

/** Milliseconds since this process started (the 30 s promise counts from there). */
const uptimeMs = () => process.uptime() * 1000;

/** Runs `work` with an abort signal that fires after `ms`; rejects then, whatever `work` does. */
async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${Math.round(ms)} ms`);
      controller.abort(error);
      reject(error);
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([work(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

class GraphQLClient {
  constructor(private readonly endpoint: string) {}

  /** Runs a typed operation; any error of the answer (or a non-JSON one) rejects with its codes. */
  async request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, token: string, signal: AbortSignal): Promise<TResult> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(document), variables }),
      signal,
    });
    const text = await response.text();
    let body: { data?: TResult | null; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`HTTP ${response.status} with a body that is not JSON`);
    }
    if (body.errors?.length) {
      throw new Error(`HTTP ${response.status}: ${body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'} ${e.message}`).join('; ')}`);
    }
    if (!body.data) throw new Error(`HTTP ${response.status} without data`);
    return body.data;
  }
}

async function expectOk(url: string, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, { signal });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${new URL(url).pathname} answered ${response.status}`);
}

interface User {
  id: string;
  token: string;
}

/** The two throwaway users: signed here, or the subjects of the given tokens. */
async function throwawayUsers(options: Options): Promise<[User, User]> {
  if (options.userTokens) {
    return options.userTokens.map((token) => {
      const { sub } = decodeJwt(token);
      if (!sub) throw new UsageError('a --user-token has no "sub" claim');
      return { id: sub, token };
    }) as [User, User];
  }
  const config = loadConfig();
  const secret = await localSigningSecret(config);
  if (secret === undefined) {
    throw new UsageError('JWT_PUBLIC_KEY is set, so this script cannot sign user tokens: pass two with --user-token (from the issuer)');
  }
  const sign = async (name: string): Promise<User> => {
    const id = randomUUID();
    return { id, token: await signDevToken(secret, { sub: id, name, ttl: '5m', issuer: config.jwt.issuer, audience: config.jwt.audience }) };
  };
  return Promise.all([sign('Smoke test A'), sign('Smoke test B')]);
}

/** What one subscription received: the next message, or why it ended. */
class Inbox {
  private readonly received: MessageFieldsFragment[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  push(message: MessageFieldsFragment): void {
    this.received.push(message);
    this.wake?.();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  async waitFor(id: string, signal: AbortSignal): Promise<MessageFieldsFragment> {
    for (;;) {
      const found = this.received.find((message) => message.id === id);
      if (found) return found;
      if (this.failure) throw this.failure;
      if (signal.aborted) throw signal.reason;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
}

/** The graphql-ws client of the receiving user; resolves once the server acknowledged the token. */
function subscribe(wsUrl: string, token: string, conversationId: string, inbox: Inbox, signal: AbortSignal): { client: Client; connected: Promise<void> } {
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const connected = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => settle?.resolve(),
      closed: (event) => {
        const { code, reason } = event as { code?: number; reason?: string };
        const error = new Error(`the socket closed (${code ?? '?'}${reason ? ` ${reason}` : ''})`);
        settle?.reject(error);
        inbox.fail(error);
      },
    },
  });
  signal.addEventListener('abort', () => settle?.reject(signal.reason as Error), { once: true });
  // afterSequence 0: stored messages first, then live, so a send that races the subscription's
  // registration on the server is still delivered (docs/realtime.md, "Resume without gaps").
  client.subscribe(
    { query: print(MessageReceivedDocument), variables: { conversationId, afterSequence: 0 } },
    {
      next: (result) => {
        if (result.errors?.length) {
          inbox.fail(new Error(`subscription error: ${result.errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')} ${e.message}`).join('; ')}`));
          return;
        }
        const message = (result.data as { messageReceived?: MessageFieldsFragment } | null | undefined)?.messageReceived;
        if (message) inbox.push(message);
      },
      error: (error) => inbox.fail(error instanceof Error ? error : new Error(`subscription failed: ${JSON.stringify(error)}`)),
      complete: () => inbox.fail(new Error('the subscription ended before the message arrived')),
    },
  );
  return { client, connected };
}

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function run(options: Options, users: [User, User]): Promise<number> {
  const graphql = new GraphQLClient(`${options.origin}/graphql`);
  const wsUrl = `${options.origin.replace(/^http/, 'ws')}/graphql`;
  let current: StepName | 'archive' = 'healthz';
  let stepStarted = performance.now();

  const hardExit = setTimeout(() => {
    line(`FAIL ${current} ${Math.round(performance.now() - stepStarted)} ms`);
    console.error(`${current}: the run reached its 30 s bound`);
    process.exit(1);
  }, HARD_EXIT_MS - uptimeMs());
  hardExit.unref();

  let conversationId: string | undefined;
  let socket: Client | undefined;
  let messageId: string | undefined;
  const inbox = new Inbox();

  const work: Record<StepName, (signal: AbortSignal) => Promise<void>> = {
    healthz: (signal) => expectOk(`${options.origin}/healthz`, signal),
    readyz: (signal) => expectOk(`${options.origin}/readyz`, signal),
    'upsert-users': async (signal) => {
      for (const [index, user] of users.entries()) {
        await graphql.request(UpsertUserDocument, { input: { id: user.id, displayName: `Smoke test ${'AB'[index]}` } }, options.serviceToken, signal);
      }
    },
    'start-conversation': async (signal) => {
      const [sender, receiver] = users;
      const { startConversation } = await graphql.request(StartConversationDocument, { input: { participantId: receiver.id } }, sender.token, signal);
      conversationId = startConversation.id;
    },
    subscribe: async (signal) => {
      const subscription = subscribe(wsUrl, users[1].token, conversationId!, inbox, signal);
      socket = subscription.client;
      await subscription.connected;
    },
    'send-and-deliver': async (signal) => {
      const { sendMessage } = await graphql.request(
        SendMessageDocument,
        { input: { conversationId: conversationId!, content: 'smoke test', clientMessageId: randomUUID() } },
        users[0].token,
        signal,
      );
      messageId = sendMessage.id;
      await inbox.waitFor(messageId, signal);
    },
    'mark-read': async (signal) => {
      const { markRead } = await graphql.request(MarkReadDocument, { input: { conversationId: conversationId!, messageIds: [messageId!] } }, users[1].token, signal);
      if (!markRead.messageIds.includes(messageId!)) throw new Error('markRead did not mark the message');
    },
  };

  let failed = false;
  for (const step of STEPS) {
    current = step;
    stepStarted = performance.now();
    try {
      await withTimeout(Math.min(STEP_TIMEOUT_MS, STEPS_END_MS - uptimeMs()), work[step]);
      line(`ok ${step} ${Math.round(performance.now() - stepStarted)} ms`);
    } catch (error) {
      line(`FAIL ${step} ${Math.round(performance.now() - stepStarted)} ms`);
      console.error(`${step}: ${describe(error)}`);
      failed = true;
      break;
    }
  }

  void socket?.dispose();
  if (conversationId) {
    current = 'archive';
    stepStarted = performance.now();
    try {
      await withTimeout(CLEANUP_END_MS - uptimeMs(), (signal) => graphql.request(ArchiveConversationDocument, { id: conversationId! }, users[0].token, signal));
    } catch (error) {
      console.error(`archive: ${describe(error)}`);
      // The failed step stays the last line; only a run that passed reports this as its failure.
      if (!failed) line(`FAIL archive ${Math.round(performance.now() - stepStarted)} ms`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch's "fetch failed" hides the reason (ECONNREFUSED, ENOTFOUND, ...) in its cause.
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let users: [User, User];
  try {
    users = await throwawayUsers(options);
  } catch (error) {
    // A bad --user-token, JWT_PUBLIC_KEY without them, or a configuration the service would refuse.
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  return run(options, users);
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
