import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { signDevToken } from '../src/auth/token-issuer';
import { BENCH_SECRET, graphql, BENCH_NO_ABUSE_LIMITS } from './lib';
import { CONTENT, LOG_LEVEL, REDIS_PREFIX, REDIS_URL, SEND, SERVER_NODE_ARGS } from './realtime-settings';
import { serviceEntry } from './lib';
import { fromSource, mapLimit, startNode, type NodeProcess } from './realtime-support';

/**
 * What bench/realtime.bench.ts's phases do with the service and the reference: start them,
 * make users and conversations, send messages, and what the run must delete at the end.
 */

/** The scratch database and data directory of the run, and what to delete from Redis at the end. */
export interface Scratch {
  databaseUrl: string;
  dataDir: string;
  /** Whether a server already applied the migrations to the scratch database. */
  migrated: boolean;
  /** User ids and `user:conversation:clientMessageId` claims made, for the rate-limit keys. */
  users: string[];
  claims: string[];
}

/** A server process of the service: src/main.ts in production mode, from the sources under ts-node. */
export async function startService(port: number, scratch: Scratch, migrateHere: boolean): Promise<NodeProcess> {
  const server = await startNode(
    serviceEntry(true),
    port,
    '/readyz',
    {
      DATABASE_URL: scratch.databaseUrl,
      DATA_DIR: scratch.dataDir,
      JWT_SECRET: BENCH_SECRET,
      REDIS_URL,
      REDIS_PREFIX,
      RATE_LIMIT_MESSAGES_PER_HOUR: '100000000', ...BENCH_NO_ABUSE_LIMITS,
      LOG_LEVEL,
      NODE_ENV: 'production',
      MIGRATE_ON_START: String(migrateHere),
    },
    SERVER_NODE_ARGS,
  );
  if (migrateHere) scratch.migrated = true;
  return server;
}

/** The raw `ws` + ioredis reference (bench/realtime-reference-server.ts); its `url` is ws://. */
export async function startReferenceServer(port: number): Promise<NodeProcess> {
  const ref = await startNode(fromSource('bench/realtime-reference-server.ts'), port, '/', { REDIS_URL, REF_PREFIX: `${REDIS_PREFIX}ref:` });
  return { ...ref, url: ref.url.replace(/^http/, 'ws') };
}

/** The Redis channel the reference forwards to the sockets of `?<kind>=<id>`. */
export const referenceChannel = (kind: 'user' | 'conversation', id: string) => `${REDIS_PREFIX}ref:${kind}:${id}`;

/** A frame the size of one the GraphQL server writes for `fields`. */
export const referenceFrame = (fields: Record<string, unknown>) => JSON.stringify({ id: '1', type: 'next', payload: { data: { messageReceived: fields } } });

export interface BenchUser {
  id: string;
  index: number;
  token: string;
}

/**
 * `2 * pairs` users with tokens and one conversation per pair (users 2p and 2p+1): the rows
 * startConversation would make (less its audit row), in two SQL statements: thousands of users
 * over HTTP would take minutes on a small machine and measure nothing of interest.
 */
export async function seedPairs(scratch: Scratch, pairs: number): Promise<{ users: BenchUser[]; conversations: string[] }> {
  const users = Array.from({ length: pairs * 2 }, (_, i) => ({ id: randomUUID(), index: i, token: '' }));
  scratch.users.push(...users.map((u) => u.id));
  for (const u of users) u.token = await signDevToken(BENCH_SECRET, { sub: u.id, name: `Bench user ${u.index}`, ttl: '2h' });
  const conversations = Array.from({ length: pairs }, () => randomUUID());
  const db = new Client({ connectionString: scratch.databaseUrl });
  await db.connect();
  try {
    await db.query(`insert into users (id, display_name) select * from unnest($1::uuid[], $2::text[])`, [users.map((u) => u.id), users.map((u) => `Bench user ${u.index}`)]);
    const ordered = conversations.map((_, p) => [users[2 * p].id, users[2 * p + 1].id].sort());
    await db.query(`insert into conversations (id, participant_a_id, participant_b_id) select * from unnest($1::uuid[], $2::uuid[], $3::uuid[])`, [
      conversations,
      ordered.map((o) => o[0]),
      ordered.map((o) => o[1]),
    ]);
  } finally {
    await db.end();
  }
  return { users, conversations };
}

/** A few sends over HTTP warm the servers up (JIT, pools, caches) before anything is measured; `urlOf(p)` is the server pair p's first user sends to. */
export async function warmUp(urlOf: (pair: number) => string, users: BenchUser[], conversations: string[]): Promise<void> {
  await mapLimit(
    Array.from({ length: Math.min(conversations.length, 50) }, (_, p) => p),
    8,
    async (p) => {
      const out = await graphql(urlOf(p), users[2 * p].token, SEND, { input: { conversationId: conversations[p], content: 'warm-up' } });
      if (out.errors) throw new Error(`warm-up sendMessage failed: ${JSON.stringify(out.errors)}`);
    },
  );
}

/** Attempts of one send that fail with ECONNRESET before it gives up. */
const SEND_ATTEMPTS = 3;

/**
 * One `sendMessage` over HTTP with a clientMessageId. A keep-alive connection the server closed
 * as idle just as it was reused fails with ECONNRESET before the request reached it (after an
 * idle pause, several pooled connections may be stale); the clientMessageId makes the retries
 * safe. Resolves with the message id, or rejects.
 */
export async function sendWithRetry(
  url: string,
  user: BenchUser,
  conversationId: string,
  clientMessageId: string,
  scratch: Scratch,
  onRetry: () => void,
): Promise<string> {
  scratch.claims.push(`${user.id}:${conversationId}:${clientMessageId}`);
  const send = (attempt: number): ReturnType<typeof graphql> =>
    graphql(url, user.token, SEND, { input: { conversationId, content: CONTENT, clientMessageId } }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' || attempt >= SEND_ATTEMPTS) throw error;
      onRetry();
      return send(attempt + 1);
    });
  const out = await send(1);
  if (out.errors) throw new Error(JSON.stringify(out.errors));
  return (out.data!.sendMessage as { id: string }).id;
}
