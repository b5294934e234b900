import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DevicePlatform } from '../../src/schema/common/enums';
import { ConversationsDocument, MarkReadDocument, MessagesDocument, SendMessageDocument } from '../generated/graphql';
import { conversationPair, startTestServer, type TestServer } from '../helpers/test-server';
import { createLeasedDatabase, serverUrl, type LeasedDatabase } from '../setup/test-database';
import { OwnPgBouncer, pgbouncerBin } from './own-pgbouncer';

/**
 * CONTRACT.md "Operations": DATABASE_URL may point at PgBouncer in transaction mode, and with
 * DATABASE_DIRECT_URL nothing holds session state on it. A real PgBouncer (Debian's package,
 * as the contract configures it) in front of a database of this test's own; the service runs
 * with DATABASE_URL → bouncer and DATABASE_DIRECT_URL → PostgreSQL. PgBouncer logs "got packet
 * ... from server when not linked" when a server connection answers outside a transaction it
 * was lent for (a LISTEN's notification, a session's leftover): its log must have none.
 */

const describeWithBouncer = pgbouncerBin() ? describe : describe.skip;
if (!pgbouncerBin()) process.stdout.write('SKIPPED (pgbouncer is not installed: apt-get install -y pgbouncer): PgBouncer tests\n');

let database: LeasedDatabase;
let bouncer: OwnPgBouncer;
let server: TestServer;
let bouncerUrl: string;

function migrate(command: 'up' | 'status', env: Record<string, string>): string {
  return execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/migrate.ts', command], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_DIRECT_URL: '', ...env },
    encoding: 'utf8',
  });
}

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithBouncer('behind PgBouncer (transaction pooling)', () => {
  beforeAll(async () => {
    database = await createLeasedDatabase(serverUrl());
    const upstream = new URL(database.url);
    bouncer = await OwnPgBouncer.start({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    bouncerUrl = bouncer.url(database.name);
    migrate('up', { DATABASE_URL: bouncerUrl, DATABASE_DIRECT_URL: database.url });
    server = await startTestServer({
      DATABASE_URL: bouncerUrl,
      DATABASE_DIRECT_URL: database.url,
      RATE_LIMIT_MESSAGES_PER_HOUR: '100000',
      // Agenda polls once a minute here: a job that runs within seconds was woken by NOTIFY.
      JOBS_PROCESS_EVERY_MS: '60000',
      PUSH_BATCH_WINDOW_MS: '200',
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop().catch(() => {});
    await bouncer?.stop();
    await database?.drop();
  });

  test('migrate:status works through the bouncer alone (no DATABASE_DIRECT_URL)', () => {
    const out = migrate('status', { DATABASE_URL: bouncerUrl });
    expect(out).toMatch(/Pending \(0\)/);
  });

  test('send, conversation list, history and read receipts', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    for (const content of ['one', 'two', 'three']) {
      const sent = await server.request(SendMessageDocument, { input: { conversationId, content } }, ana.token);
      expect(sent.errors).toBeUndefined();
    }
    const list = await server.request(ConversationsDocument, {}, bo.token);
    expect(list.errors).toBeUndefined();
    const mine = list.data!.conversations.edges.find((edge) => edge.node.id === conversationId)!.node;
    expect(mine.unreadCount).toBe(3);
    expect(mine.lastMessage?.content).toBe('three');

    const history = await server.request(MessagesDocument, { id: conversationId }, bo.token);
    expect(history.data!.conversation.messages.edges.map((edge) => [edge.node.sequence, edge.node.content])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);

    const read = await server.request(MarkReadDocument, { input: { conversationId } }, bo.token);
    expect(read.data!.markRead.messageIds).toHaveLength(3);
    expect(read.data!.markRead.conversation.unreadCount).toBe(0);
    const seen = await server.request(MessagesDocument, { id: conversationId }, ana.token);
    expect(seen.data!.conversation.messages.edges.every((edge) => edge.node.readAt !== null)).toBe(true);
  });

  test('200 concurrent sends in one conversation get the gapless sequences 1..200', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const sends = await Promise.all(
      Array.from({ length: 200 }, (_, i) => server.request(SendMessageDocument, { input: { conversationId, content: `m${i}` } }, i % 2 ? ana.token : bo.token)),
    );
    expect(sends.flatMap((sent) => sent.errors ?? [])).toEqual([]);
    const sequences = sends.map((sent) => sent.data!.sendMessage.sequence).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    const first = await server.request(MessagesDocument, { id: conversationId, first: 100 }, ana.token);
    const after = first.data!.conversation.messages.pageInfo.endCursor;
    const second = await server.request(MessagesDocument, { id: conversationId, first: 100, after }, ana.token);
    const paged = [...first.data!.conversation.messages.edges, ...second.data!.conversation.messages.edges].map((edge) => edge.node.sequence);
    expect(paged).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(second.data!.conversation.messages.pageInfo.hasNextPage).toBe(false);
  }, 60_000);

  test("a job scheduled through Agenda runs within seconds (NOTIFY reaches the scheduler's LISTEN on the direct URL)", async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const { services } = server.service.app;
    await services.notificationSettings.registerDevice(server.service.orm.em.fork() as EntityManager, bo.id, `pgbouncer-${bo.id}`, DevicePlatform.ANDROID);
    const runs = async () => {
      const { values } = await server.service.metrics.jobRuns.get();
      return values.filter((v) => v.labels.job === 'deliver-conversation-push').reduce((sum, v) => sum + v.value, 0);
    };
    const before = await runs();
    const started = Date.now();
    // Bo has no socket: his push is batched for PUSH_BATCH_WINDOW_MS in an Agenda job.
    const sent = await server.request(SendMessageDocument, { input: { conversationId, content: 'are you there?' } }, ana.token);
    expect(sent.errors).toBeUndefined();
    await waitFor(async () => ((await runs()) > before ? true : undefined), 'the push job to run', 10_000);
    const tookMs = Date.now() - started;
    process.stdout.write(`push job ran ${tookMs} ms after the send (Agenda polls every 60 s here)\n`);
    expect(tookMs).toBeLessThan(10_000);
  }, 30_000);

  test('PgBouncer logged no packet from an unlinked server connection', async () => {
    await server.stop();
    const log = bouncer.log();
    expect(log).toMatch(/process up: PgBouncer/);
    expect(log).not.toMatch(/got packet/i);
    expect(log).not.toMatch(/when not linked/i);
    expect(log).not.toMatch(/unsupported startup parameter/i);
  });
});
