/**
 * What every part of the push pipeline works with: the pools, presence, the job queue, the
 * delivery service, the clock, and the three things they all do the same way (ask presence,
 * count an outcome, warn about unusable quiet hours).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../db/orm';
import type { Sql } from '../../db/sql';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import type { PresenceTracker } from '../../realtime/presence';
import { PresenceStatus, type NotificationType } from '../../schema/common/enums';
import type { ConversationService } from '../conversation.service';
import type { JobQueue } from '../job-queue';
import type { PushDeliveryService } from '../push-delivery.service';
import type { PushNotificationOutcome } from './push-outcome';

export interface PushContextOptions {
  orm: Orm;
  /** The hot-path pool: the decision for every new message reads the recipient through it. */
  sql: Sql;
  presence: PresenceTracker;
  jobs: JobQueue;
  delivery: PushDeliveryService;
  conversations: ConversationService;
  metrics: Metrics;
  logger: Logger;
  /** The clock; tests pass a controllable one. */
  now?: () => Date;
}

export class PushContext {
  readonly now: () => Date;

  constructor(readonly options: PushContextOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async isOnline(userId: string): Promise<boolean> {
    const [status] = await this.options.presence.statusOf([userId]);
    return status === PresenceStatus.ONLINE;
  }

  /** One push_notifications_total increment; the outcome is its label as is. */
  count(type: NotificationType, outcome: PushNotificationOutcome): void {
    this.options.metrics.pushNotifications.inc({ type, outcome });
  }

  /** Quiet hours stored before today's stricter checks (e.g. a fixed offset as zone) never hold. */
  noteQuietHours(userId: string, decision: { quietHoursError?: unknown }): void {
    if (decision.quietHoursError !== undefined) this.options.logger.warn({ err: decision.quietHoursError, userId }, 'unusable quiet hours ignored');
  }

  fork(): EntityManager {
    return this.options.orm.em.fork() as EntityManager;
  }
}
