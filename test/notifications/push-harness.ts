import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { initORM, type Orm } from '../../src/db/orm';
import { PgSql } from '../../src/db/sql';
import { createLogger } from '../../src/observability/logger';
import { createMetrics, type Metrics } from '../../src/observability/metrics';
import { timedTransport } from '../../src/push/create-push-transport';
import type { PushMessage, PushOutcome, PushResult, PushTransport } from '../../src/push/push-transport';
import { InProcessPubSub } from '../../src/realtime/in-process-pubsub';
import type { PresenceTracker } from '../../src/realtime/presence';
import { DevicePlatform, MessageType, PresenceStatus } from '../../src/schema/common/enums';
import type { Message } from '../../src/schema/message/message.entity';
import { ConversationService } from '../../src/services/conversation.service';
import { EventPublisher } from '../../src/services/event-publisher';
import type { JobQueue } from '../../src/services/job-queue';
import { MessageAnnouncer } from '../../src/services/message-announcer';
import { MessageChangeStore } from '../../src/services/message-change-store';
import { MessageStore } from '../../src/services/message-store';
import { MessageService } from '../../src/services/message.service';
import { NotificationSettingsService, type PreferencesInput } from '../../src/services/notification-settings.service';
import { NotificationService } from '../../src/services/notification.service';
import { PushDeliveryService } from '../../src/services/push-delivery.service';
import { Outbox } from '../../src/services/outbox';
import { MessageRateLimiter } from '../../src/services/rate-limiter';
import { SendPipeline } from '../../src/services/send-pipeline';

/**
 * The push pipeline of src/services wired by hand for tests: real PostgreSQL (the test
 * database), a controllable clock, a recording job queue (tests run the jobs themselves, at the
 * time they choose), a recording or real push transport, and presence set by the test.
 */

/** Records what it is asked to send; answers `sent` unless a token's answers are scripted. */
export class RecordingTransport implements PushTransport {
  readonly name = 'recording';
  readonly sent: PushMessage[] = [];
  private readonly scripts = new Map<string, PushOutcome[]>();
  /** While set, `send` never answers: a process that dies while the provider call is in flight. */
  hang = false;

  script(token: string, ...outcomes: PushOutcome[]): void {
    this.scripts.set(token, [...(this.scripts.get(token) ?? []), ...outcomes]);
  }

  async send(messages: PushMessage[]): Promise<PushResult[]> {
    this.sent.push(...messages);
    if (this.hang) return new Promise<PushResult[]>(() => undefined);
    return messages.map((message) => ({ token: message.token, outcome: this.scripts.get(message.token)?.shift() ?? 'sent' }));
  }

  to(token: string): PushMessage[] {
    return this.sent.filter((message) => message.token === token);
  }
}

export class FakeClock {
  constructor(public at: Date = new Date()) {}
  readonly now = (): Date => new Date(this.at);
  set(iso: string | Date): void {
    this.at = new Date(iso);
  }
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}

export interface ScheduledJob {
  name: string;
  at: Date;
  data: Record<string, string>;
}

export class RecordingQueue implements JobQueue {
  readonly jobs: ScheduledJob[] = [];
  async schedule(name: string, at: Date, data: object): Promise<void> {
    this.jobs.push({ name, at, data: data as Record<string, string> });
  }
}

/** Presence as the test says: users in `online` are ONLINE on "some instance". */
export class FakePresence implements PresenceTracker {
  readonly online = new Set<string>();
  async statusOf(userIds: readonly string[]): Promise<PresenceStatus[]> {
    return userIds.map((id) => (this.online.has(id) ? PresenceStatus.ONLINE : PresenceStatus.OFFLINE));
  }
  async close(): Promise<void> {}
}

export interface HarnessOptions {
  batchWindowMs?: number;
  transport?: PushTransport;
  clock?: FakeClock;
  presence?: FakePresence;
  orm?: Orm;
}

export class PushHarness {
  readonly metrics: Metrics = createMetrics();
  readonly queue = new RecordingQueue();
  readonly settings = new NotificationSettingsService();
  readonly conversations: ConversationService;
  readonly messages: MessageService;
  readonly delivery: PushDeliveryService;
  readonly notifications: NotificationService;
  private readonly sql: PgSql;
  private readonly outbox: Outbox;
  private readonly announcer: MessageAnnouncer;
  private readonly store: MessageStore;

  private constructor(
    readonly orm: Orm,
    private readonly ownsOrm: boolean,
    readonly clock: FakeClock,
    readonly presence: FakePresence,
    readonly transport: PushTransport,
    batchWindowMs: number,
  ) {
    const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
    this.sql = new PgSql({ connectionString: process.env.DATABASE_URL!, max: 4, preparedStatements: true });
    this.outbox = new Outbox({ sql: this.sql, logger, leaseMs: 60_000, sweepMs: 60_000 });
    const events = new EventPublisher({ pubsub: new InProcessPubSub(), logger, outbox: this.outbox });
    this.conversations = new ConversationService(events);
    this.delivery = new PushDeliveryService({ orm, transport: timedTransport(transport, this.metrics), metrics: this.metrics, logger, retry: { maxAttempts: 3, sleep: async () => undefined } });
    this.notifications = new NotificationService({
      orm,
      sql: this.sql,
      presence: this.presence,
      jobs: this.queue,
      delivery: this.delivery,
      conversations: this.conversations,
      metrics: this.metrics,
      logger,
      batchWindowMs,
      recordRetentionDays: 7,
      now: clock.now,
    });
    this.announcer = new MessageAnnouncer({
      events,
      outbox: this.outbox,
      metrics: this.metrics,
      decidePush: (message, participants) => this.notifications.messageStored(message, participants),
    });
    this.store = new MessageStore(60_000);
    const pipeline = new SendPipeline({
      sql: this.sql,
      store: this.store,
      rateLimiter: MessageRateLimiter.create(100_000),
      announcer: this.announcer,
      changes: new MessageChangeStore(),
      events,
      outbox: this.outbox,
    });
    this.messages = new MessageService({
      conversations: this.conversations,
      events,
      pipeline,
      store: this.store,
      announcer: this.announcer,
      sql: this.sql,
      metrics: this.metrics,
      outboxLeaseMs: 60_000,
      maxLength: 4000,
      contactInfoPolicy: 'flag',
    });
  }

  static async create(options: HarnessOptions = {}): Promise<PushHarness> {
    const orm = options.orm ?? (await initORM(process.env.DATABASE_URL!));
    return new PushHarness(
      orm,
      !options.orm,
      options.clock ?? new FakeClock(),
      options.presence ?? new FakePresence(),
      options.transport ?? new RecordingTransport(),
      options.batchWindowMs ?? 3000,
    );
  }

  em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  async user(name: string | null): Promise<string> {
    const id = randomUUID();
    await this.em().execute('insert into users (id, display_name) values (?, ?)', [id, name]);
    return id;
  }

  async device(userId: string, platform: DevicePlatform = DevicePlatform.ANDROID, token = `tok-${randomUUID()}`): Promise<string> {
    await this.settings.registerDevice(this.em(), userId, token, platform);
    return token;
  }

  async prefs(userId: string, input: PreferencesInput): Promise<void> {
    await this.settings.update(this.em(), userId, input);
  }

  async conversation(a: string, b: string): Promise<string> {
    const { conversation } = await this.conversations.findOrCreate(this.em(), [a, b], null, a);
    return conversation.id;
  }

  /** Sends a text message and waits for its push decision. */
  async send(senderId: string, conversationId: string, content: string): Promise<Message> {
    const message = await this.messages.send(senderId, { conversationId, content });
    await this.notifications.idle();
    return message;
  }

  /** Stores an image message (the upload path is another capability) and waits for its push decision. */
  async sendImage(senderId: string, conversationId: string): Promise<Message> {
    const result = await this.store.append(this.sql, { conversationId, type: MessageType.IMAGE, senderId, content: null, metadata: {}, clientMessageId: null });
    if (result.outcome !== 'CREATED') throw new Error(`could not store an image message: ${result.outcome}`);
    await this.announcer.announce(result);
    await this.notifications.idle();
    return result.message;
  }

  async markRead(readerId: string, conversationId: string): Promise<void> {
    await this.messages.markRead(this.em(), readerId, { conversationId });
  }

  /** Runs the delivery jobs scheduled so far that are due at the clock's time, like Agenda would. */
  async runDueJobs(): Promise<string[]> {
    const due = this.queue.jobs.filter((job) => job.at.getTime() <= this.clock.at.getTime());
    this.queue.jobs.splice(0, this.queue.jobs.length, ...this.queue.jobs.filter((job) => !due.includes(job)));
    const outcomes: string[] = [];
    for (const job of due) {
      outcomes.push(
        job.name === 'deliver-conversation-push'
          ? await this.notifications.deliverConversation(job.data.userId, job.data.conversationId)
          : await this.notifications.deliverHeld(job.data.notificationId),
      );
    }
    return outcomes;
  }

  async close(): Promise<void> {
    await this.notifications.close();
    await this.outbox.close();
    await this.sql.close();
    if (this.ownsOrm) await this.orm.close();
  }
}

/** A metric's value from a registry (0 when absent). */
export async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((value) => Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted))
    .reduce((sum, value) => sum + value.value, 0);
}
