import type { Redis } from 'ioredis';
import type { PresenceChange } from '../../src/realtime/presence-tracker';
import { RedisPresenceTracker } from '../../src/realtime/redis-presence';
import { PresenceStatus } from '../../src/schema/common/enums';
import { deleteKeys, describeWithRedis, newRedis, redisUrl, silentLogger, sleep, uniquePrefix, waitFor } from './redis-test-utils';

const { ONLINE, OFFLINE } = PresenceStatus;
const timings = { graceMs: 300, heartbeatMs: 100, instanceTtlMs: 400, sweepMs: 100 };

interface Observed extends PresenceChange {
  instance: string;
}

describeWithRedis('RedisPresenceTracker', () => {
  const prefix = uniquePrefix();
  let admin: Redis;
  let events: Observed[];
  let trackers: RedisPresenceTracker[];
  let userCounter = 0;
  const freshUser = () => `user-${++userCounter}`;
  const eventsOf = (userId: string, status?: PresenceStatus) =>
    events.filter((event) => event.userId === userId && (status === undefined || event.status === status));

  /** One "instance": its own tracker and Redis connection, all sharing the run's key prefix. */
  async function instance(name: string, overrides: Partial<typeof timings> = {}): Promise<RedisPresenceTracker> {
    const tracker = new RedisPresenceTracker({
      ...timings,
      ...overrides,
      redis: redisUrl,
      logger: silentLogger,
      keyPrefix: prefix,
      instanceId: `${name}-${trackers.length}`,
      onChange: (change) => {
        events.push({ ...change, instance: name });
      },
    });
    trackers.push(tracker);
    await tracker.start();
    return tracker;
  }

  beforeAll(() => {
    admin = newRedis();
  });

  beforeEach(() => {
    events = [];
    trackers = [];
  });

  afterEach(async () => {
    for (const tracker of trackers) await tracker.close();
  });

  afterAll(async () => {
    await deleteKeys(admin, prefix);
    await admin.quit();
  });

  it('reports a user ONLINE once, whichever instance holds the connections', async () => {
    const a = await instance('A');
    const b = await instance('B');
    const user = freshUser();

    await expect(a.connect(user)).resolves.toEqual({ cameOnline: true });
    await expect(b.connect(user)).resolves.toEqual({ cameOnline: false });
    await expect(a.connect(user)).resolves.toEqual({ cameOnline: false });

    await waitFor(() => events.length > 0);
    expect(events).toEqual([{ userId: user, status: ONLINE, lastSeenAt: null, instance: 'A' }]);
    expect(await b.statusOf([user, 'nobody', user])).toEqual([ONLINE, OFFLINE, ONLINE]);
    expect(await a.statusOf([])).toEqual([]);
    expect(await admin.hgetall(`${prefix}presence:user:${user}`)).toEqual({ 'A-0': '2', 'B-1': '1' });
  });

  it('turns the user OFFLINE only after the grace period following the last disconnect', async () => {
    const a = await instance('A');
    const b = await instance('B');
    const user = freshUser();
    await a.connect(user);
    await b.connect(user);

    await a.disconnect(user);
    await sleep(timings.graceMs + 100);
    expect(eventsOf(user, OFFLINE)).toEqual([]); // still connected through B

    const closedAt = Date.now();
    await b.disconnect(user);
    await sleep(timings.graceMs / 2);
    expect(eventsOf(user, OFFLINE)).toEqual([]);
    expect(await a.statusOf([user])).toEqual([ONLINE]);

    await waitFor(() => eventsOf(user, OFFLINE).length > 0, 2000, 'OFFLINE');
    const offlineAt = Date.now();
    expect(offlineAt - closedAt).toBeGreaterThanOrEqual(timings.graceMs - 20);
    const [offline] = eventsOf(user, OFFLINE);
    expect(Math.abs(offline.lastSeenAt!.getTime() - closedAt)).toBeLessThan(100);
    expect(await a.statusOf([user])).toEqual([OFFLINE]);
    expect(await admin.exists(`${prefix}presence:user:${user}`, `${prefix}presence:online:${user}`)).toBe(0);
  });

  it('announces nothing when the user reconnects within the grace period, on another instance', async () => {
    const a = await instance('A');
    const b = await instance('B');
    const user = freshUser();
    await a.connect(user);
    await a.disconnect(user);
    await sleep(timings.graceMs / 3);
    await expect(b.connect(user)).resolves.toEqual({ cameOnline: false });

    await sleep(timings.graceMs * 2);
    expect(eventsOf(user)).toEqual([expect.objectContaining({ status: ONLINE, instance: 'A' })]);
    expect(await a.statusOf([user])).toEqual([ONLINE]);
  });

  it('reports a crashed instance’s users OFFLINE from another instance within the instance TTL', async () => {
    const a = await instance('A');
    const b = await instance('B');
    const c = await instance('C');
    const [user, other] = [freshUser(), freshUser()];
    await a.connect(user);
    await a.connect(other);
    await c.connect(other); // still connected elsewhere: stays ONLINE
    await waitFor(() => events.length === 2);

    const crashedAt = Date.now();
    await a.detach();
    await waitFor(() => eventsOf(user, OFFLINE).length > 0, 3000, 'OFFLINE after crash');
    const elapsed = Date.now() - crashedAt;
    expect(elapsed).toBeLessThanOrEqual(timings.instanceTtlMs + timings.sweepMs + 150);

    await sleep(timings.sweepMs * 3);
    const offline = eventsOf(user, OFFLINE);
    expect(offline).toHaveLength(1); // B and C both sweep; exactly one of them reports it
    expect(['B', 'C']).toContain(offline[0].instance);
    // lastSeenAt is A's last heartbeat, before the crash.
    expect(offline[0].lastSeenAt!.getTime()).toBeLessThanOrEqual(crashedAt + 5);
    expect(offline[0].lastSeenAt!.getTime()).toBeGreaterThan(crashedAt - timings.heartbeatMs - 50);
    expect(eventsOf(other, OFFLINE)).toEqual([]);
    expect(await b.statusOf([user, other])).toEqual([OFFLINE, ONLINE]);
    expect(await admin.zscore(`${prefix}presence:instances`, 'A-0')).toBeNull();
    expect(await admin.exists(`${prefix}presence:instance:A-0:users`)).toBe(0);
  });

  it('reports exactly one OFFLINE when several instances see the last connections close together', async () => {
    const all = await Promise.all([instance('A'), instance('B'), instance('C')]);
    const users = Array.from({ length: 10 }, freshUser);
    await Promise.all(users.flatMap((user) => all.map((tracker) => tracker.connect(user))));
    await Promise.all(users.flatMap((user) => all.map((tracker) => tracker.disconnect(user))));

    await waitFor(() => users.every((user) => eventsOf(user, OFFLINE).length > 0), 2000, 'OFFLINE');
    await sleep(timings.graceMs + timings.sweepMs * 2);
    for (const user of users) {
      expect(eventsOf(user, ONLINE)).toHaveLength(1);
      expect(eventsOf(user, OFFLINE)).toHaveLength(1);
    }
  });

  it('reports exactly one ONLINE for concurrent first connections on several instances', async () => {
    const all = await Promise.all([instance('A'), instance('B'), instance('C')]);
    const user = freshUser();
    const results = await Promise.all(all.flatMap((tracker) => [tracker.connect(user), tracker.connect(user)]));
    expect(results.filter((result) => result.cameOnline)).toHaveLength(1);
    await sleep(50);
    expect(eventsOf(user, ONLINE)).toHaveLength(1);
  });

  it('on a clean shutdown hands the users to the grace period, ended by a surviving instance', async () => {
    const a = await instance('A');
    await instance('B');
    const user = freshUser();
    await a.connect(user);
    const closedAt = Date.now();
    await a.close();
    expect(await admin.zscore(`${prefix}presence:instances`, 'A-0')).toBeNull();

    await waitFor(() => eventsOf(user, OFFLINE).length > 0, 2000, 'OFFLINE after shutdown');
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(timings.graceMs - 20);
    expect(eventsOf(user, OFFLINE)[0].instance).toBe('B');
  });

  it('re-announces the users of an instance that was wrongly swept as dead (a long pause)', async () => {
    const slow = { heartbeatMs: 60_000, instanceTtlMs: 120_000, sweepMs: 60_000 };
    const a = await instance('A', slow);
    const b = await instance('B', slow);
    const user = freshUser();
    await a.connect(user);

    await admin.del(`${prefix}presence:instance:A-0`, `${prefix}presence:sweep-lock`);
    const swept = await b.sweep();
    expect(swept).toEqual([{ userId: user, status: OFFLINE, lastSeenAt: expect.any(Date) }]);
    expect(await b.statusOf([user])).toEqual([OFFLINE]);

    await a.heartbeat();
    expect(await b.statusOf([user])).toEqual([ONLINE]);
    await waitFor(() => eventsOf(user).length === 3);
    expect(eventsOf(user).map((event) => event.status)).toEqual([ONLINE, OFFLINE, ONLINE]);

    // Its counts are back: the last disconnect goes through the grace period as usual.
    await a.disconnect(user);
    expect(await b.statusOf([user])).toEqual([ONLINE]);
  });

  it('tolerates a disconnect without a connection and rejects use before start', async () => {
    const a = await instance('A');
    await expect(a.disconnect(freshUser())).resolves.toBeUndefined();
    const unstarted = new RedisPresenceTracker({ redis: admin, logger: silentLogger, keyPrefix: prefix });
    await expect(unstarted.connect(freshUser())).rejects.toThrow('not started');
    await unstarted.close();
    expect(admin.status).toBe('ready'); // a caller-owned connection stays open
  });
});
