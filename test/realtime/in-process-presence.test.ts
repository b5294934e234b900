import { createPresenceTracker } from '../../src/realtime/create-presence';
import { InProcessPresenceTracker } from '../../src/realtime/in-process-presence';
import type { PresenceChange } from '../../src/realtime/presence-tracker';
import { RedisPresenceTracker } from '../../src/realtime/redis-presence';
import { PresenceStatus } from '../../src/schema/common/enums';
import { deleteKeys, describeWithRedis, newRedis, redisUrl, silentLogger, sleep, uniquePrefix, waitFor } from './redis-test-utils';

const { ONLINE, OFFLINE } = PresenceStatus;
const graceMs = 150;

describe('InProcessPresenceTracker', () => {
  let events: PresenceChange[];
  let tracker: InProcessPresenceTracker;

  beforeEach(async () => {
    events = [];
    tracker = new InProcessPresenceTracker({ logger: silentLogger, graceMs, onChange: (change) => void events.push(change) });
    await tracker.start();
  });

  afterEach(() => tracker.close());

  it('reports ONLINE once for the first of several connections', async () => {
    await expect(tracker.connect('u1')).resolves.toEqual({ cameOnline: true });
    await expect(tracker.connect('u1')).resolves.toEqual({ cameOnline: false });
    await sleep(10);
    expect(events).toEqual([{ userId: 'u1', status: ONLINE, lastSeenAt: null }]);
    expect(await tracker.statusOf(['u1', 'u2'])).toEqual([ONLINE, OFFLINE]);
  });

  it('turns the user OFFLINE only after the grace period following the last disconnect', async () => {
    await tracker.connect('u1');
    await tracker.connect('u1');
    await tracker.disconnect('u1');
    await sleep(graceMs + 50);
    expect(events.map((event) => event.status)).toEqual([ONLINE]);

    const closedAt = Date.now();
    await tracker.disconnect('u1');
    await sleep(graceMs / 2);
    expect(await tracker.statusOf(['u1'])).toEqual([ONLINE]);
    await waitFor(() => events.length === 2, 1000, 'OFFLINE');
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(graceMs - 5);
    expect(events[1]).toEqual({ userId: 'u1', status: OFFLINE, lastSeenAt: expect.any(Date) });
    expect(Math.abs(events[1].lastSeenAt!.getTime() - closedAt)).toBeLessThan(20);
    expect(await tracker.statusOf(['u1'])).toEqual([OFFLINE]);
  });

  it('announces nothing when the user reconnects within the grace period', async () => {
    await tracker.connect('u1');
    await tracker.disconnect('u1');
    await sleep(graceMs / 3);
    await expect(tracker.connect('u1')).resolves.toEqual({ cameOnline: false });
    await sleep(graceMs * 2);
    expect(events.map((event) => event.status)).toEqual([ONLINE]);
  });

  it('comes ONLINE again after a completed OFFLINE', async () => {
    await tracker.connect('u1');
    await tracker.disconnect('u1');
    await waitFor(() => events.length === 2);
    await expect(tracker.connect('u1')).resolves.toEqual({ cameOnline: true });
    await sleep(10);
    expect(events.map((event) => event.status)).toEqual([ONLINE, OFFLINE, ONLINE]);
  });

  it('ignores a disconnect without a connection, and close() cancels pending grace periods', async () => {
    await expect(tracker.disconnect('nobody')).resolves.toBeUndefined();
    await tracker.connect('u1');
    await tracker.disconnect('u1');
    await tracker.close();
    await sleep(graceMs * 2);
    expect(events.map((event) => event.status)).toEqual([ONLINE]);
  });

  it('survives a listener that throws', async () => {
    const failing = new InProcessPresenceTracker({
      logger: silentLogger,
      graceMs,
      onChange: () => {
        throw new Error('listener broke');
      },
    });
    await expect(failing.connect('u1')).resolves.toEqual({ cameOnline: true });
    await sleep(10);
    await failing.close();
  });
});

describe('createPresenceTracker', () => {
  it('is in-process without a Redis URL', async () => {
    const tracker = await createPresenceTracker({ logger: silentLogger });
    expect(tracker).toBeInstanceOf(InProcessPresenceTracker);
    await tracker.close();
  });

  describeWithRedis('with a Redis URL', () => {
    it('is the Redis tracker, started', async () => {
      const keyPrefix = uniquePrefix();
      const tracker = await createPresenceTracker({ logger: silentLogger, redisUrl, keyPrefix });
      expect(tracker).toBeInstanceOf(RedisPresenceTracker);
      await expect(tracker.connect('u1')).resolves.toEqual({ cameOnline: true });
      await tracker.close();
      const admin = newRedis();
      await deleteKeys(admin, keyPrefix);
      await admin.quit();
    });
  });
});
