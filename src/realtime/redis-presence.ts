import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';
import { PresenceStatus } from '../schema/common/enums';
import {
  defaultPresenceTimings,
  notifyPresence,
  type ConnectionPresenceTracker,
  type PresenceChange,
  type PresenceListener,
  type PresenceTimings,
} from './presence-tracker';
import { closeRedisConnection, createRedisConnection } from './redis-connection';
import {
  expireGraceScript,
  heartbeatScript,
  releaseInstanceScript,
  setCountScript,
  sweepScript,
} from './redis-presence.scripts';

/** Options of {@link RedisPresenceTracker}. */
export interface RedisPresenceOptions extends PresenceTimings {
  /** A URL (the tracker opens and closes its own connection) or a connection the caller owns. */
  redis: string | Redis;
  logger: Logger;
  onChange?: PresenceListener;
  /** Unique per process; default `<hostname>:<pid>:<random>`. Must not end in ':users' (key layout). */
  instanceId?: string;
  /** Prepended to every key, e.g. to share one Redis between deployments or test runs. Default ''. */
  keyPrefix?: string;
  /** Grace periods ended per sweep at most (the rest wait for the next sweep). Default 1000. */
  sweepBatch?: number;
}

/**
 * Presence across instances, in Redis. Keys (P = `<keyPrefix>presence:`):
 *
 * - `P user:<userId>` hash: instanceId -> open connections of the user on that instance
 * - `P online:<userId>` string: exists while the user is ONLINE (announced), value = since (ms)
 * - `P grace` zset: userId -> when the grace period ends (ms); `P last-seen` hash: userId -> ms
 * - `P instance:<instanceId>` string with TTL `instanceTtlMs`: the heartbeat
 * - `P instance:<instanceId>:users` set: users with connections on that instance
 * - `P instances` zset: instanceId -> last heartbeat (ms), so a sweeper can find dead ones
 * - `P sweep-lock` string, SET NX PX: one instance sweeps per period
 *
 * Every transition is decided by an atomic Lua script (redis-presence.scripts.ts), so exactly
 * one instance reports it. Scripts build some keys themselves: standalone Redis, not Cluster.
 * Redis errors in `connect`/`disconnect` are logged and retried on the next heartbeat: a
 * connection must not fail because presence is briefly unavailable.
 */
export class RedisPresenceTracker implements ConnectionPresenceTracker {
  readonly instanceId: string;
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly prefix: string;
  private readonly timings: Required<PresenceTimings>;
  private readonly counts = new Map<string, number>();
  /** Users whose count could not be written; rewritten on the next heartbeat. */
  private readonly dirty = new Set<string>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private heartbeatRunning = false;
  private sweepRunning = false;
  private state: 'new' | 'started' | 'closed' = 'new';

  constructor(private readonly options: RedisPresenceOptions) {
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.prefix = `${options.keyPrefix ?? ''}presence:`;
    this.timings = {
      graceMs: options.graceMs ?? defaultPresenceTimings.graceMs,
      heartbeatMs: options.heartbeatMs ?? defaultPresenceTimings.heartbeatMs,
      instanceTtlMs: options.instanceTtlMs ?? defaultPresenceTimings.instanceTtlMs,
      sweepMs: options.sweepMs ?? defaultPresenceTimings.sweepMs,
    };
    if (this.timings.instanceTtlMs <= this.timings.heartbeatMs) {
      throw new Error('presence instanceTtlMs must be longer than heartbeatMs');
    }
    this.ownsConnection = typeof options.redis === 'string';
    this.redis =
      typeof options.redis === 'string'
        ? createRedisConnection(options.redis, { name: `presence:${this.instanceId}`, logger: options.logger })
        : options.redis;
  }

  /** Registers the instance, ends what dead instances left behind, and starts the timers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('presence tracker already started');
    // An instance starts while Redis is down: the heartbeat timer registers it once Redis is back.
    try {
      const known = await heartbeatScript.run(this.redis, [this.key(`instance:${this.instanceId}`), this.key('instances')], [
        this.instanceId,
        this.timings.instanceTtlMs,
      ]);
      if (known === 1) this.options.logger.warn({ instanceId: this.instanceId }, 'presence instance id was in use already');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'presence unavailable at start (Redis unreachable); registering on the next heartbeat');
    }
    this.state = 'started';
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.timings.heartbeatMs).unref();
    this.sweepTimer = setInterval(() => void this.sweep(), this.timings.sweepMs).unref();
    await this.sweep();
  }

  async connect(userId: string): Promise<{ cameOnline: boolean }> {
    this.assertStarted();
    this.counts.set(userId, (this.counts.get(userId) ?? 0) + 1);
    this.cancelGraceTimer(userId);
    return { cameOnline: await this.writeCount(userId) };
  }

  async disconnect(userId: string): Promise<void> {
    if (this.state === 'closed') return;
    this.assertStarted();
    const count = this.counts.get(userId) ?? 0;
    if (count === 0) {
      this.options.logger.warn({ userId }, 'presence disconnect without a connection');
      return;
    }
    if (count === 1) this.counts.delete(userId);
    else this.counts.set(userId, count - 1);
    await this.writeCount(userId);
  }

  /** ONLINE while a connection is open on a live instance or the grace period runs. */
  async statusOf(userIds: readonly string[]): Promise<PresenceStatus[]> {
    if (userIds.length === 0) return [];
    let since: (string | null)[];
    try {
      since = await this.redis.mget(userIds.map((id) => this.key(`online:${id}`)));
    } catch (error) {
      // `Presence!` is non-null: a failed lookup would null the whole conversation list. While
      // Redis is unreachable everyone reads OFFLINE (a push may go to someone online: harmless).
      this.options.logger.warn({ err: error, users: userIds.length }, 'presence degraded: Redis unreachable, answering OFFLINE');
      return userIds.map(() => PresenceStatus.OFFLINE);
    }
    return since.map((value) => (value === null ? PresenceStatus.OFFLINE : PresenceStatus.ONLINE));
  }

  /**
   * Proves this instance alive; if a sweeper took it for dead meanwhile (a long pause), writes
   * all its counts again, which re-announces its users ONLINE. Runs every `heartbeatMs`.
   */
  async heartbeat(): Promise<void> {
    if (this.state !== 'started' || this.heartbeatRunning) return;
    this.heartbeatRunning = true;
    try {
      const known = await heartbeatScript.run(this.redis, [this.key(`instance:${this.instanceId}`), this.key('instances')], [
        this.instanceId,
        this.timings.instanceTtlMs,
      ]);
      if (known === 0) {
        this.options.logger.warn({ instanceId: this.instanceId }, 'presence instance was swept as dead; re-registering');
        for (const userId of this.counts.keys()) this.dirty.add(userId);
      }
      for (const userId of [...this.dirty]) {
        this.dirty.delete(userId);
        await this.writeCount(userId);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'presence heartbeat failed');
    } finally {
      this.heartbeatRunning = false;
    }
  }

  /**
   * If no other instance swept within the period: drops the counts of instances whose heartbeat
   * expired and ends overdue grace periods, announcing who went OFFLINE. Runs every `sweepMs`.
   */
  async sweep(): Promise<PresenceChange[]> {
    if (this.state !== 'started' || this.sweepRunning) return [];
    this.sweepRunning = true;
    try {
      const lockMs = Math.max(1, Math.floor(this.timings.sweepMs * 0.9));
      const locked = await this.redis.set(this.key('sweep-lock'), this.instanceId, 'PX', lockMs, 'NX');
      if (locked === null) return [];
      const flat = (await sweepScript.run(this.redis, [], [this.prefix, this.options.sweepBatch ?? 1000])) as string[];
      const changes: PresenceChange[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        changes.push(this.offline(flat[i], Number(flat[i + 1])));
      }
      return changes;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'presence sweep failed');
      return [];
    } finally {
      this.sweepRunning = false;
    }
  }

  /**
   * Stops the timers and unregisters: this instance's connections count as closed now, so
   * their users go OFFLINE after the grace period unless they reconnect elsewhere (another
   * instance's sweeper, or this deployment's next start, announces it).
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasStarted = this.state === 'started';
    this.stopTimers();
    if (wasStarted) {
      try {
        await releaseInstanceScript.run(this.redis, [], [this.prefix, this.instanceId, this.timings.graceMs]);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'presence release failed; other instances will sweep this one');
      }
    }
    if (this.ownsConnection) await closeRedisConnection(this.redis);
  }

  /**
   * Stops without touching Redis, as if the process had died: other instances find the
   * heartbeat expired and announce this instance's users OFFLINE. For tests of that path.
   */
  async detach(): Promise<void> {
    if (this.state === 'closed') return;
    this.stopTimers();
    if (this.ownsConnection) this.redis.disconnect();
  }

  private async writeCount(userId: string): Promise<boolean> {
    const count = this.counts.get(userId) ?? 0;
    try {
      const [kind, delayMs] = (await setCountScript.run(
        this.redis,
        [
          this.key(`user:${userId}`),
          this.key(`online:${userId}`),
          this.key('grace'),
          this.key('last-seen'),
          this.key(`instance:${this.instanceId}:users`),
        ],
        [this.instanceId, userId, count, this.timings.graceMs],
      )) as [number, number];
      if (kind === 1) this.notify({ userId, status: PresenceStatus.ONLINE, lastSeenAt: null });
      if (kind === 2) this.scheduleGraceEnd(userId, delayMs);
      return kind === 1;
    } catch (error) {
      this.dirty.add(userId);
      this.options.logger.warn({ err: error, userId }, 'presence count not written; retrying on the next heartbeat');
      return false;
    }
  }

  private scheduleGraceEnd(userId: string, delayMs: number): void {
    if (this.state !== 'started') return;
    this.cancelGraceTimer(userId);
    const timer = setTimeout(() => void this.endGrace(userId), delayMs).unref();
    this.graceTimers.set(userId, timer);
  }

  private async endGrace(userId: string): Promise<void> {
    this.graceTimers.delete(userId);
    if (this.state !== 'started') return;
    try {
      const [kind, ms] = (await expireGraceScript.run(
        this.redis,
        [this.key(`user:${userId}`), this.key(`online:${userId}`), this.key('grace'), this.key('last-seen')],
        [userId],
      )) as [number, number];
      if (kind === 1) this.offline(userId, ms);
      if (kind === 2) this.scheduleGraceEnd(userId, ms);
    } catch (error) {
      this.options.logger.warn({ err: error, userId }, 'presence grace end failed; the sweeper will retry');
    }
  }

  private offline(userId: string, lastSeenMs: number): PresenceChange {
    const change = { userId, status: PresenceStatus.OFFLINE, lastSeenAt: new Date(lastSeenMs) };
    this.notify(change);
    return change;
  }

  private notify(change: PresenceChange): void {
    notifyPresence(this.options.onChange, change, this.options.logger);
  }

  private cancelGraceTimer(userId: string): void {
    clearTimeout(this.graceTimers.get(userId));
    this.graceTimers.delete(userId);
  }

  private stopTimers(): void {
    this.state = 'closed';
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  private assertStarted(): void {
    if (this.state !== 'started') throw new Error(`presence tracker is ${this.state}, not started`);
  }

  private key(suffix: string): string {
    return `${this.prefix}${suffix}`;
  }
}
