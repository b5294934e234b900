import type { Config } from '../config';
import type { Orm } from '../db/orm';
import type { ReadRouting } from '../db/read-routing';
import type { Sql } from '../db/sql';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PresenceTracker } from '../realtime/presence';
import type { PubSub } from '../realtime/pubsub';
import type { PushTransport } from '../push/push-transport';
import type { ObjectStorage } from '../storage/object-storage';
import type { JobQueue } from './job-queue';
import type { Outbox } from './outbox';
import type { OperationLimits } from './operation-limits';
import type { MessageRateLimiter } from './rate-limiter';

/** What the services are built from: the real parts, chosen once at start by main.ts or a test. */
export interface ServiceDeps {
  orm: Orm;
  /** The hot-path pool: bind parameters, prepared statements where allowed (db/sql.ts). */
  sql: Sql;
  /** Primary or read replica for history pages, search and the conversation list (db/read-routing.ts). */
  reads: ReadRouting;
  /** The transactional outbox: events recorded with their change, published at least once. */
  outbox: Outbox;
  pubsub: PubSub;
  presence: PresenceTracker;
  rateLimiter: MessageRateLimiter;
  /** Per-user limits of every operation class (reads, writes, conversation starts, ...). */
  operationLimits: OperationLimits;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Image objects: S3 or files under DATA_DIR (see storage/create-storage.ts). */
  storage: ObjectStorage;
  /** Push provider: FCM or the log (see push/create-push-transport.ts). */
  push: PushTransport;
  /** Durable one-off jobs (Agenda on PostgreSQL), e.g. a push batch due at its window's end. */
  jobQueue: JobQueue;
}
