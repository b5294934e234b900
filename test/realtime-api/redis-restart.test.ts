import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { MessageReceivedLeanDocument, SendMessageDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, describeWithRedis, metricValue, sleep, waitForSubscriptions, waitUntil, wsUrl } from './realtime-helpers';
import { freePort } from '../helpers/child-server';
import pino from 'pino';
import { RedisPubSub } from '../../src/realtime/redis-pubsub';
import { topics } from '../../src/realtime/topics';

/**
 * Redis restarted under a running instance, with messages being sent throughout: open
 * subscriptions recover, and nothing acknowledged is lost from the history: a subscription
 * resuming with afterSequence has every acknowledged message, in order, once.
 */

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) process.stdout.write('SKIPPED (redis-server is not installed): Redis restarted mid-test\n');

/** A private, memory-only redis-server on `port`, for this test alone. */
class PrivateRedis {
  private process: ChildProcess | null = null;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitUntil(() => spawnSync('redis-cli', ['-p', String(this.port), 'ping']).stdout?.toString().trim() === 'PONG', 'redis-server to start');
  }

  async kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

(hasRedisServer ? describeWithRedis : describe.skip)('Redis restarted mid-test', () => {
  let redis: PrivateRedis;
  let server: TestServer;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    server = await startTestServer({ REDIS_URL: redis.url, RATE_LIMIT_MESSAGES_PER_HOUR: '100000' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await server?.stop();
    await redis?.kill();
  });

  function subscribe(token: string, variables: { conversationId?: string; afterSequence?: number }) {
    const client = new RealtimeClient(wsUrl(server), token);
    clients.push(client);
    return client.subscribe(MessageReceivedLeanDocument, variables);
  }

  test('subscriptions recover and resuming clients get every acknowledged message', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const resuming = subscribe(bo.token, { conversationId, afterSequence: 0 });
    const inbox = subscribe(bo.token, {});
    await waitForSubscriptions(server, 'messageReceived', 2);

    const acknowledged: number[] = [];
    let refused = 0;
    let sending = true;
    const send = async () => {
      const result = await server.request(SendMessageDocument, { input: { conversationId, content: `m${acknowledged.length}` } }, ana.token);
      if (result.data) acknowledged.push(result.data.sendMessage.sequence);
      else refused += 1;
    };
    const sender = (async () => {
      while (sending) {
        await send();
        await sleep(15);
      }
    })();

    await waitUntil(() => acknowledged.length >= 5, 'messages before the restart');
    await redis.kill();
    await sleep(500);
    await redis.start();
    // Resubscribed once the restarted Redis knows both channels of the open subscriptions again.
    const admin = new Redis(redis.url);
    try {
      await waitUntil(
        async () => {
          const counts = (await admin.pubsub('NUMSUB', `conversation:${conversationId}:message`, `user:${bo.id}:message`)) as (string | number)[];
          return Number(counts[1]) > 0 && Number(counts[3]) > 0;
        },
        'the subscriptions to be re-established',
        15_000,
      );
    } finally {
      admin.disconnect();
    }
    const beforeRestartEnd = acknowledged.length;
    await waitUntil(() => acknowledged.length >= beforeRestartEnd + 5, 'messages after the restart', 10_000);
    sending = false;
    await sender;
    await send(); // one more once everything is quiet: it is live for sure
    expect(await metricValue(server, 'pubsub_reconnects_total')).toBeGreaterThanOrEqual(2);

    const all = Array.from({ length: acknowledged.at(-1)! }, (_, i) => i + 1);
    expect(acknowledged).toEqual(all); // sends refused while Redis was away stored nothing
    await resuming.count(all.length, 10_000);
    expect(resuming.values.map((v) => v.messageReceived.sequence)).toEqual(all);
    // The live-only inbox recovered: it has what was sent after the restart.
    await waitUntil(() => inbox.values.some((v) => v.messageReceived.sequence === all.length), 'the inbox to receive the last message');

    const fresh = subscribe(bo.token, { conversationId, afterSequence: 0 });
    await fresh.count(all.length);
    expect(fresh.values.map((v) => v.messageReceived.sequence)).toEqual(all);
    process.stdout.write(`redis restart: ${all.length} acknowledged, ${refused} refused while Redis was away\n`);
  }, 40_000);
});

(hasRedisServer ? describeWithRedis : describe.skip)('a subscription ended while Redis is down', () => {
  it('logs the failed UNSUBSCRIBE instead of leaving an unhandled rejection', async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String(JSON.parse(line).msg)) });
    const pubsub = new RedisPubSub({ url: redis.url, logger, maxRetriesPerRequest: 0, retryBaseMs: 50, retryMaxMs: 100 });
    try {
      const subscription = pubsub.subscribe(topics.conversationTyping('offline'));
      await subscription.ready;
      await redis.kill();
      await subscription.return!();
      await waitUntil(() => warnings.includes('redis unsubscribe failed'), 'the failed UNSUBSCRIBE to be logged');
    } finally {
      await pubsub.close();
      await redis.kill();
    }
  });
});
