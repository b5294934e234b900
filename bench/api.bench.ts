/**
 * npm run bench:api — sendMessage over HTTP with 1, 8 and 32 concurrent senders, the
 * conversation list query, and the same SQL work done with raw `pg` as the reference.
 * Settings: DATABASE_URL (server to create a scratch database on), BENCH_SECONDS (per phase).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { signDevToken } from '../src/auth/token-issuer';
import { BENCH_SECRET, graphql, recreateDatabase, startServerProcess, timedLoad, type LoadResult } from './lib';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id sequence createdAt } }`;
const LIST = `query List { conversations(first: 50) { totalCount edges { cursor node { id unreadCount lastMessage { content sender { displayName } }
  participants { id displayName presence { status } } } } } }`;

const fmt = (r: LoadResult) =>
  `${r.perSecond.toFixed(0).padStart(7)} /s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   (${r.count} ops, ${r.errors} errors)`;

async function main() {
  const databaseUrl = await recreateDatabase(SERVER, 'messaging_bench');
  const server = await startServerProcess(
    { DATABASE_URL: databaseUrl, JWT_SECRET: BENCH_SECRET, RATE_LIMIT_MESSAGES_PER_HOUR: '100000000', MIGRATE_ON_START: 'true' },
    Number(process.env.BENCH_PORT ?? 4811),
  );
  try {
    // 32 pairs, one conversation each: senders do not queue on one conversation's row lock.
    const senders = await Promise.all(
      Array.from({ length: 32 }, async () => {
        const [a, b] = [randomUUID(), randomUUID()];
        const tokenA = await signDevToken(BENCH_SECRET, { sub: a, name: 'Sender', ttl: '2h' });
        const tokenB = await signDevToken(BENCH_SECRET, { sub: b, name: 'Recipient', ttl: '2h' });
        await graphql(server.url, tokenB, '{ me { id } }');
        const started = await graphql(server.url, tokenA, 'mutation($p: ID!) { startConversation(input: { participantId: $p }) { id } }', { p: b });
        return { token: tokenA, conversationId: (started.data!.startConversation as { id: string }).id };
      }),
    );

    const results: Record<string, LoadResult> = {};
    console.log(`\nsendMessage over HTTP (${SECONDS} s per level)`);
    for (const concurrency of [1, 8, 32]) {
      const r = await timedLoad(concurrency, SECONDS, async (worker) => {
        const s = senders[worker];
        const out = await graphql(server.url, s.token, SEND, { input: { conversationId: s.conversationId, content: 'Hello, is the job still open?' } });
        return !out.errors;
      });
      results[`http${concurrency}`] = r;
      console.log(`  ${String(concurrency).padStart(2)} senders  ${fmt(r)}`);
    }

    // The conversation list of a user with 50 conversations.
    const reader = randomUUID();
    const readerToken = await signDevToken(BENCH_SECRET, { sub: reader, name: 'Reader', ttl: '2h' });
    await graphql(server.url, readerToken, '{ me { id } }');
    for (let i = 0; i < 50; i += 1) {
      const other = randomUUID();
      const otherToken = await signDevToken(BENCH_SECRET, { sub: other, name: `Other ${i}`, ttl: '2h' });
      await graphql(server.url, otherToken, '{ me { id } }');
      const c = await graphql(server.url, readerToken, 'mutation($p: ID!) { startConversation(input: { participantId: $p }) { id } }', { p: other });
      const conversationId = (c.data!.startConversation as { id: string }).id;
      await graphql(server.url, otherToken, SEND, { input: { conversationId, content: `message ${i}` } });
    }
    const list = await timedLoad(8, SECONDS, async () => !(await graphql(server.url, readerToken, LIST)).errors);
    console.log(`\nconversation list (50 per page, 8 concurrent)\n  ${fmt(list)}`);

    // The same SQL work with raw pg: the conversation row lock + insert, in one transaction.
    const pool = new Pool({ connectionString: databaseUrl, max: 10 });
    console.log(`\nraw pg reference (insert + conversation update in one transaction)`);
    for (const concurrency of [1, 8, 32]) {
      const r = await timedLoad(concurrency, SECONDS, async (worker) => {
        const s = senders[worker];
        const client = await pool.connect();
        try {
          await client.query('begin');
          const { rows } = await client.query(
            `update conversations set last_sequence = last_sequence + 1, last_message_at = clock_timestamp(), updated_at = now()
             where id = $1 returning last_sequence, last_message_at`,
            [s.conversationId],
          );
          await client.query(
            `insert into messages (id, conversation_id, sequence, type, sender_id, content, metadata, created_at, delivered_at)
             select $1, $2, $3, 'TEXT', participant_a_id, $4, '{}', $5, $5 from conversations where id = $2`,
            [randomUUID(), s.conversationId, rows[0].last_sequence, 'Hello, is the job still open?', rows[0].last_message_at],
          );
          await client.query('commit');
          return true;
        } catch {
          await client.query('rollback');
          return false;
        } finally {
          client.release();
        }
      });
      results[`raw${concurrency}`] = r;
      console.log(`  ${String(concurrency).padStart(2)} writers  ${fmt(r)}`);
    }
    await pool.end();

    console.log('\nsendMessage throughput as a share of raw SQL');
    for (const concurrency of [1, 8, 32]) {
      const ratio = results[`http${concurrency}`].perSecond / results[`raw${concurrency}`].perSecond;
      console.log(`  ${String(concurrency).padStart(2)}: ${(ratio * 100).toFixed(0)}%`);
    }
    console.log(`\naim: >= 50% of raw SQL, p99 < 50 ms at 8 senders (now ${results.http8.p99.toFixed(1)} ms)`);
  } finally {
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
