import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { CHILD_METRICS_TOKEN, ROOT, serviceEntry, type ServerProcess } from '../../bench/lib';
import { signDevToken } from '../../src/auth/token-issuer';
import { MeDocument, StartConversationDocument } from '../generated/graphql';
import { freePort } from '../helpers/child-server';
import { TEST_JWT_SECRET, testDataDir } from '../helpers/test-server';

/** A GraphQL answer over HTTP, with its status. */
export interface Answer<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Runs a typed operation against a child server's /graphql. */
export async function gql<TResult, TVariables>(server: ServerProcess | string, document: TypedDocumentNode<TResult, TVariables>, variables: TVariables, token?: string): Promise<Answer<TResult>> {
  const base = typeof server === 'string' ? server : server.url;
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<Answer<TResult>, 'status'>) };
}

/** /readyz's status code, or 0 when nothing answered within `timeoutMs`; and how long it took. */
export async function readyz(server: ServerProcess | string, timeoutMs = 5000): Promise<{ status: number; ms: number }> {
  const base = typeof server === 'string' ? server : server.url;
  const started = Date.now();
  const status = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(timeoutMs) }).then(
    (response) => response.status,
    () => 0,
  );
  return { status, ms: Date.now() - started };
}

/** True while the child process runs. */
export function alive(server: ServerProcess): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

/** Two users with a conversation on `server`. */
export async function pairOn(server: ServerProcess): Promise<{ ana: { id: string; token: string }; bo: { id: string; token: string }; conversationId: string }> {
  const ana = { id: randomUUID(), token: '' };
  const bo = { id: randomUUID(), token: '' };
  ana.token = await signDevToken(TEST_JWT_SECRET, { sub: ana.id, name: 'Ana' });
  bo.token = await signDevToken(TEST_JWT_SECRET, { sub: bo.id, name: 'Bo' });
  await gql(server, MeDocument, {}, bo.token);
  const started = await gql(server, StartConversationDocument, { input: { participantId: bo.id } }, ana.token);
  if (!started.data) throw new Error(`startConversation failed: ${JSON.stringify(started.errors)}`);
  return { ana, bo, conversationId: started.data.startConversation.id };
}

/**
 * A child server (production mode) on a database and Redis of the test's own. Answers once
 * it listens (/healthz), ready or not: a fault test looks at /readyz itself.
 */
export async function startFaultServer(name: string, databaseUrl: string, redisUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, serviceEntry(false), {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      METRICS_TOKEN: CHILD_METRICS_TOKEN,
      // Fault tests send in bursts of one user's requests; the per-user cap (16 at once) is the
      // abuse suite's subject, and under CI load a burst of 25 outlives it.
      HTTP_MAX_CONCURRENT_PER_USER: '100000',
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'warn',
      DATA_DIR: testDataDir(name),
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null) throw new Error(`server ${name} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`server ${name} does not listen after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
