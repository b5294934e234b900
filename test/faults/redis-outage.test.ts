import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { ServerProcess } from '../../bench/lib';
import { RedisPubSub } from '../../src/realtime/redis-pubsub';
import { topics } from '../../src/realtime/topics';
import { ConversationsDocument, MessageReceivedDocument, SendMessageDocument } from '../generated/graphql';
import { RealtimeClient, sleep, waitForSubscriptions, waitUntil, wsUrl } from '../realtime-api/realtime-helpers';
import { alive, gql, pairOn, readyz, startFaultServer } from './fault-helpers';
import { OwnPostgres } from './own-postgres';
import { hasRedisServer, OwnRedis } from './own-redis';

/**
 * Sends a message, trying again for a few seconds: the rate limiter's own Redis connection
 * reconnects on its own backoff (up to 5 s), which /readyz does not wait for.
 */
async function sendOnceReconnected(server: ServerProcess, token: string, conversationId: string, content: string): Promise<void> {
  const clientMessageId = randomUUID();
  await waitUntil(
    async () => !(await gql(server, SendMessageDocument, { input: { conversationId, content, clientMessageId } }, token)).errors,
    'a send to succeed after Redis returned',
    10_000,
  );
}

/**
 * Faults 1 and 3: Redis goes away (SIGKILL of a redis-server of the test's own) under running
 * instances, or is away when one starts. No instance dies, /readyz says 503 while Redis is
 * down, subscriptions answer an error, queries that ask for presence answer OFFLINE within a
 * few seconds, and everything works again once Redis is back.
 */
(hasRedisServer ? describe : describe.skip)('a Redis outage', () => {
  let postgres: OwnPostgres;
  let redis: OwnRedis;
  const servers: ServerProcess[] = [];
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    postgres = await OwnPostgres.start();
    redis = await OwnRedis.create();
  }, 120_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await Promise.all(servers.splice(0).map((server) => (alive(server) ? server.stop() : undefined)));
    await redis.kill();
  });
  afterAll(async () => {
    await postgres?.destroy();
  });

  test('the first subscription to a topic while Redis is down leaves no unhandled rejection', async () => {
    await redis.start();
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    const pubsub = new RedisPubSub({ url: redis.url, logger: pino({ level: 'silent' }), retryMaxMs: 200, maxRetriesPerRequest: 1 });
    try {
      await pubsub.subscribe(topics.conversationMessages(randomUUID())).ready; // connected
      await redis.kill();
      const subscription = pubsub.subscribe(topics.conversationMessages(randomUUID()));
      await expect(subscription.ready).rejects.toThrow();
      await sleep(100); // an unhandled rejection is reported after the microtasks
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
      await pubsub.close();
    }
  });

  test('instances live through it, answer 503, error new subscriptions and OFFLINE presence, then recover', async () => {
    await redis.start();
    const server = await startFaultServer('redis-outage', postgres.url(), redis.url, { LOG_LEVEL: 'fatal' });
    servers.push(server);
    const { ana, bo, conversationId } = await pairOn(server);
    expect((await readyz(server)).status).toBe(200);

    await redis.kill();
    await waitUntil(async () => (await readyz(server)).status === 503, '/readyz to say 503', 10_000);

    // Every subscribe to a topic the instance does not follow yet: the process died of each.
    const watcher = new RealtimeClient(wsUrl(server.url), bo.token);
    clients.push(watcher);
    const thread = watcher.subscribe(MessageReceivedDocument, { conversationId });
    const inbox = watcher.subscribe(MessageReceivedDocument, {});
    await waitUntil(() => (thread.failure !== null || thread.errors.length > 0) && (inbox.failure !== null || inbox.errors.length > 0), 'both subscriptions to fail', 15_000);
    await sleep(500);
    expect(alive(server)).toBe(true);

    // Fault 3: presence is answered OFFLINE (Presence! is non-null) and the list comes back.
    const started = Date.now();
    const list = await gql(server, ConversationsDocument, {}, ana.token);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(list.errors).toBeUndefined();
    const participants = list.data!.conversations.edges[0].node.participants;
    expect(participants.map((p) => p.presence.status)).toEqual(['OFFLINE', 'OFFLINE']);

    await redis.start();
    await waitUntil(async () => (await readyz(server)).status === 200, '/readyz to say 200 again', 20_000);
    const again = new RealtimeClient(wsUrl(server.url), bo.token);
    clients.push(again);
    const live = again.subscribe(MessageReceivedDocument, { conversationId });
    await waitForSubscriptions(server.url, 'messageReceived', 1, 10_000);
    await sendOnceReconnected(server, ana.token, conversationId, 'after the outage');
    expect((await live.next(10_000)).messageReceived.content).toBe('after the outage');
    expect(alive(server)).toBe(true);
  }, 90_000);

  test('an instance starts while Redis is down and becomes ready when it returns', async () => {
    const server = await startFaultServer('redis-absent', postgres.url(), redis.url, { LOG_LEVEL: 'fatal' });
    servers.push(server);
    expect(alive(server)).toBe(true);
    expect((await readyz(server)).status).toBe(503);
    await redis.start();
    await waitUntil(async () => (await readyz(server)).status === 200, '/readyz to say 200', 20_000);
    const { ana, conversationId } = await pairOn(server);
    await sendOnceReconnected(server, ana.token, conversationId, 'hello');
  }, 90_000);
});
