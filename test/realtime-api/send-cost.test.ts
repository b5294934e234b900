/**
 * What one send and one delivery cost, held by counts (like the N+1 test of the conversation
 * list): SQL statements through `onQuery`, Redis commands and the writes that carry them by
 * watching what the process writes to Redis' port. docs/performance.md explains the numbers.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Client } from 'pg';
import { onQuery } from '../../src/db/orm';
import { MessageReceivedDocument, SendMessageDocument } from '../generated/graphql';
import { QUIET_BACKGROUND, startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, describeWithRedis, sleep, waitForSubscriptions, waitUntil, wsUrl } from './realtime-helpers';

interface Cost {
  sql: string[];
  redisCommands: string[];
  /** Socket writes to Redis: commands written together share one round trip. */
  redisWrites: number;
}

const redisPort = Number(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);

/**
 * Runs `work`, then waits until `settled` (what follows the answer: push decision, outbox ack)
 * and a little longer, for anything that would come after.
 */
async function measure(work: () => Promise<unknown>, settled: () => Promise<boolean>): Promise<Cost> {
  const cost: Cost = { sql: [], redisCommands: [], redisWrites: 0 };
  const stopSql = onQuery((query) => cost.sql.push(query.replace(/\s+/g, ' ').trim()));
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
    if (this.remotePort === redisPort) {
      cost.redisWrites += 1;
      // RESP: each command is an array whose first bulk string is its name.
      for (const match of String(chunk).matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)) {
        // A script's first run is an EVAL (its SHA is not loaded yet), later ones EVALSHA.
        const name = match[1].toUpperCase();
        cost.redisCommands.push(name === 'EVAL' ? 'EVALSHA' : name);
      }
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof write;
  try {
    await work();
    await waitUntil(settled, 'the outbox row to be acknowledged');
    await sleep(100);
  } finally {
    net.Socket.prototype.write = write;
    stopSql();
  }
  return cost;
}

function kinds(sql: string[]): string[] {
  return sql.map((statement) => {
    if (statement.includes('send_message(')) return 'send_message';
    if (statement.includes('user_blocks')) return 'block check';
    if (statement.startsWith('delete from outbox')) return 'outbox ack';
    if (statement.includes('notification_preferences') || statement.includes('devices')) return 'push decision';
    return statement.slice(0, 60);
  });
}

describeWithRedis('the cost of a send and of its deliveries', () => {
  let server: TestServer;
  let db: Client;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({ ...QUIET_BACKGROUND, REDIS_PREFIX: `test:${randomUUID()}:` });
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await server.stop();
    await db.end();
  });

  /**
   * A conversation whose participants hold `socketsEach` sockets with the thread and the inbox
   * subscribed; with `recipientOffline`, only the sender (Ana) has sockets.
   */
  async function subscribedPair(socketsEach: number, recipientOffline: boolean) {
    const pair = await conversationPair(server);
    const streams = [];
    for (const who of recipientOffline ? [pair.ana] : [pair.ana, pair.bo]) {
      for (let i = 0; i < socketsEach; i += 1) {
        const client = new RealtimeClient(wsUrl(server), who.token);
        clients.push(client);
        streams.push(client.subscribe(MessageReceivedDocument, { conversationId: pair.conversationId }), client.subscribe(MessageReceivedDocument, {}));
      }
    }
    return { ...pair, streams };
  }

  async function sendAndDeliver(socketsEach: number, recipientOffline = false): Promise<Cost> {
    const { ana, bo, conversationId, streams } = await subscribedPair(socketsEach, recipientOffline);
    await waitForSubscriptions(server, 'messageReceived', streams.length);
    // An online recipient's push decision needs no SQL: wait until presence says so.
    const presence = server.service.app.services.deps.presence;
    if (!recipientOffline) await waitUntil(async () => (await presence.statusOf([bo.id]))[0] === 'ONLINE', 'the recipient to be ONLINE');
    await sleep(100); // the subscribe-time presence and metric reads are done
    const input = { conversationId, content: 'how much does this cost?', clientMessageId: randomUUID() };
    // Read through a client of the test's own: its statements go to neither onQuery nor Redis.
    const acknowledged = async () => (await db.query('select 1 from outbox o join messages m on m.id = o.message_id where m.conversation_id = $1', [conversationId])).rowCount === 0;
    return measure(async () => {
      const sent = await server.request(SendMessageDocument, { input }, ana.token);
      expect(sent.errors).toBeUndefined();
      await Promise.all(streams.map((stream) => stream.next()));
    }, acknowledged);
  }

  test('one send: one SQL statement on the request path, the outbox ack after it; Redis in three writes', async () => {
    const cost = await sendAndDeliver(1);
    // The recipient is online (subscribed), so the push decision needs no preferences or devices.
    expect(kinds(cost.sql)).toEqual(['send_message', 'outbox ack']);
    // Rate limit (claim + count: one sliding-log script) in one write, the three publishes in one, presence for the push decision in one.
    expect([...cost.redisCommands].sort()).toEqual(['EVALSHA', 'MGET', 'PUBLISH', 'PUBLISH', 'PUBLISH']);
    expect(cost.redisWrites).toBe(3);
  }, 20_000);

  test('an offline recipient adds the push decision: one statement for preferences and devices', async () => {
    const cost = await sendAndDeliver(1, true);
    expect(kinds(cost.sql)).toEqual(['send_message', 'push decision', 'outbox ack']);
    expect(cost.redisWrites).toBe(3);
  }, 20_000);

  test('deliveries cost nothing: more subscribed sockets add no statement and no Redis command', async () => {
    const few = await sendAndDeliver(1);
    const many = await sendAndDeliver(4);
    expect(many.sql.length).toBe(few.sql.length);
    expect(many.redisCommands.length).toBe(few.redisCommands.length);
  }, 20_000);
});
