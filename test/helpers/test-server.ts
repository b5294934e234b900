import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { signDevToken } from '../../src/auth/token-issuer';
import { startService, type RunningService, type StartOptions } from '../../src/bootstrap';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { MeDocument, StartConversationDocument } from '../generated/graphql';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/**
 * The per-user operation limits are off for the suite (its users start many conversations, and
 * every test client shares 127.0.0.1 and the shared Redis); test/abuse sets its own RATE_LIMITS.
 */
export const TEST_OPERATION_LIMITS = ['read', 'write', 'conversationStart', 'strangerStart', 'fanout', 'typing', 'deviceRegistration', 'failedLogin']
  .map((name) => `${name}=100000000/1`)
  .join(',');

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

/** A real instance of the service on a free port, against the test database. */
export class TestServer {
  constructor(readonly service: RunningService) {}

  get url(): string {
    return `http://127.0.0.1:${this.service.port}/graphql`;
  }

  /** A token of a user; the user is provisioned on their first request. */
  token(sub: string, claims: { name?: string; picture?: string; ttl?: string } = {}): Promise<string> {
    return signDevToken(TEST_JWT_SECRET, { sub, ...claims });
  }

  serviceToken(sub = 'jobs-backend'): Promise<string> {
    return signDevToken(TEST_JWT_SECRET, { sub, role: 'service' });
  }

  /** Runs a typed operation over HTTP. */
  async request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    token?: string | null,
  ): Promise<GraphQLResponse<TResult>> {
    return this.raw({ query: print(document), variables }, token);
  }

  /** Posts any body (JSON or a raw string) and answers the status with the parsed JSON. */
  async raw(body: unknown, token?: string | null, headers: Record<string, string> = {}): Promise<GraphQLResponse<never>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const json = (await response.json()) as Omit<GraphQLResponse<never>, 'status'>;
    return { ...json, status: response.status };
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}

/**
 * Starts a server; `env` overrides the test environment (e.g. a small rate limit) and
 * `options` the real parts (e.g. a push transport pointed at the fake FCM).
 */
export async function startTestServer(env: Record<string, string | undefined> = {}, options: Pick<StartOptions, 'push'> = {}): Promise<TestServer> {
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    MIGRATE_ON_START: 'false',
    DATA_DIR: testDataDir('server'),
    // Agenda leaves a lock watchdog timer of half this after each job run (a recurring job may
    // come due while a test runs): short, so that Jest is not kept waiting at the end.
    JOBS_LOCK_LIFETIME_MS: '2000',
    RATE_LIMITS: TEST_OPERATION_LIMITS,
    HTTP_MAX_CONCURRENT_PER_USER: '100000',
    ...env,
  });
  const service = await startService(config, { ...options, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), port: 0, host: '127.0.0.1' });
  return new TestServer(service);
}

/** Named actors: a user id with a token. */
export interface Actor {
  id: string;
  name: string;
  token: string;
}

export async function actor(server: TestServer, name: string): Promise<Actor> {
  const id = randomUUID();
  return { id, name, token: await server.token(id, { name }) };
}

/** The `extensions.code` of each error of a response (undefined when it has none). */
export const codes = (result: { errors?: { extensions?: Record<string, unknown> }[] }) => result.errors?.map((e) => e.extensions?.code);

/** Two users (Ana and Bo) with a conversation; both have made a request, so both are known. */
export async function conversationPair(server: TestServer): Promise<{ ana: Actor; bo: Actor; conversationId: string }> {
  const [ana, bo] = await Promise.all([actor(server, 'Ana'), actor(server, 'Bo')]);
  await server.request(MeDocument, {}, bo.token);
  const started = await server.request(StartConversationDocument, { input: { participantId: bo.id } }, ana.token);
  if (!started.data) throw new Error(`startConversation failed: ${JSON.stringify(started.errors)}`);
  return { ana, bo, conversationId: started.data.startConversation.id };
}

/**
 * `describe` when REDIS_URL is set; otherwise a skipped suite and a line naming it. The one way
 * a test needs Redis: CI sets REDIS_URL, and a machine without it still passes `npm test`.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (process.env.REDIS_URL) {
    describe(name, body);
    return;
  }
  process.stdout.write(`SKIPPED (REDIS_URL is unset): ${name}\n`);
  describe.skip(name, body);
}

/** A directory under this run's TEST_RUN_DIR (removed after the run by global-teardown). */
export function testDataDir(name: string): string {
  return path.join(process.env.TEST_RUN_DIR ?? os.tmpdir(), `${name}-${process.pid}`);
}

/**
 * Settings for a server whose SQL statements a test counts: the outbox relay's sweep and
 * presence's heartbeat and sweep, the webhook dispatcher and the email digests (background work,
 * tested elsewhere) wait ten minutes or more, so they
 * never land in a measured window.
 */
export const QUIET_BACKGROUND: Record<string, string> = {
  OUTBOX_SWEEP_MS: '600000',
  PRESENCE_HEARTBEAT_MS: '600000',
  PRESENCE_INSTANCE_TTL_MS: '1800000',
  PRESENCE_SWEEP_MS: '600000',
  WEBHOOK_DISPATCH_MS: '600000',
  // Once a year instead of every minute: a minute boundary could fall into a measured window.
  EMAIL_DIGEST_CRON: '0 0 1 1 *',
};
