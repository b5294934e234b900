import { randomUUID } from 'node:crypto';
import type { ServerProcess } from '../../bench/lib';
import { startChildServer } from '../helpers/child-server';
import { PresenceChangedDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, describeWithRedis, waitForSubscriptions, wsUrl } from './realtime-helpers';

/**
 * An instance killed with SIGKILL cannot say goodbye: its users must still turn OFFLINE, seen
 * from another instance, once its heartbeats stop (within the instance TTL plus a sweep).
 */

const TIMINGS = {
  PRESENCE_GRACE_MS: '300',
  PRESENCE_HEARTBEAT_MS: '200',
  PRESENCE_INSTANCE_TTL_MS: '1000',
  PRESENCE_SWEEP_MS: '200',
};

describeWithRedis('presence after an instance is killed', () => {
  let observer: TestServer;
  let doomed: ServerProcess;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    const prefix = `test:${randomUUID()}:`;
    observer = await startTestServer({ ...TIMINGS, REDIS_PREFIX: prefix });
    doomed = await startChildServer('presence-child', {
      ...TIMINGS,
      REDIS_PREFIX: prefix,
    });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    if (doomed?.child.exitCode === null && doomed.child.signalCode === null) await doomed.stop();
    await observer?.stop();
  });

  test('its users are OFFLINE for their contacts on another instance within the TTL', async () => {
    const { ana, bo } = await conversationPair(observer);
    const watcher = new RealtimeClient(wsUrl(observer), bo.token);
    clients.push(watcher);
    const events = watcher.subscribe(PresenceChangedDocument, {});
    await waitForSubscriptions(observer, 'presenceChanged', 1);

    const anaOnDoomed = new RealtimeClient(wsUrl(doomed.url), ana.token, { lazy: false });
    clients.push(anaOnDoomed);
    expect((await events.next(5000)).presenceChanged).toMatchObject({ userId: ana.id, status: 'ONLINE' });

    const killedAt = Date.now();
    doomed.child.kill('SIGKILL');
    const offline = (await events.next(10_000)).presenceChanged;
    const tookMs = Date.now() - killedAt;
    expect(offline).toMatchObject({ userId: ana.id, status: 'OFFLINE' });
    expect(offline.lastSeenAt).toEqual(expect.any(String));
    // Heartbeat TTL (1 s) + a sweep (0.2 s) + the grace period (0.3 s), with some slack.
    expect(tookMs).toBeLessThan(3000);
  }, 30_000);
});
