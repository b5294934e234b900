import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { ConversationEventKind } from '../schema/common/enums';
import type { EventPublisher } from './event-publisher';
import type { Row } from './rows';

export interface AutoArchiveOptions {
  /** ACTIVE conversations whose last activity is older than this many days are archived. */
  idleDays: number;
  /** Conversations per statement (default 1000). */
  batchSize?: number;
  /** The clock of the run (default: now). */
  now?: Date;
  /** Called after each committed batch, e.g. to extend the job's lock. */
  afterBatch?: () => Promise<void>;
}

export interface AutoArchiveResult {
  archived: number;
  batches: number;
  ms: number;
}

/**
 * One batch is one statement, hence one transaction: it locks up to `batchSize` idle ACTIVE
 * conversations, oldest activity first (conversations_active_idle_idx), skipping rows locked by
 * a concurrent send or another run; archives them by nobody; and writes their audit rows and
 * their ARCHIVED events' outbox rows. A
 * run killed between batches leaves each batch either wholly done or untouched, so running again
 * finishes the work without a second audit row, and a finished run leaves nothing to do.
 */
export const ARCHIVE_BATCH_SQL = `
  with idle as (
    select id from conversations
    where status = 'ACTIVE' and activity_at < ?
    order by activity_at, id
    limit ?
    for update skip locked
  ), archived as (
    update conversations c
    set status = 'AUTO_ARCHIVED', archived_at = ?, archived_by_id = null, updated_at = ?
    from idle where c.id = idle.id
    returning c.id, c.participant_a_id, c.participant_b_id, c.activity_at
  ), audited as (
    insert into audit_log (actor_id, action, entity_type, entity_id, data)
    select null, 'conversation.auto_archived', 'conversation', a.id::text,
           jsonb_build_object('from', 'ACTIVE', 'to', 'AUTO_ARCHIVED', 'lastActivityAt', a.activity_at, 'idleDays', ?::int)
    from archived a
  ), announced as (
    insert into outbox (kind, payload, lease_until)
    select 'conversation',
           jsonb_build_object('kind', 'conversation',
             'event', jsonb_build_object('kind', 'ARCHIVED', 'conversationId', a.id),
             'participantIds', jsonb_build_array(a.participant_a_id, a.participant_b_id)),
           clock_timestamp() + make_interval(secs => ?::int / 1000.0)
    from archived a
    returning id, payload->'event'->>'conversationId' as conversation_id
  )
  select a.id, a.participant_a_id, a.participant_b_id, n.id as outbox_id
  from archived a join announced n on n.conversation_id = a.id::text`;

/** What {@link AutoArchiveService} is built from. */
export interface AutoArchiveServiceOptions {
  events: EventPublisher;
  metrics: Metrics;
  logger: Logger;
  outboxLeaseMs: number;
}

/** Auto-archive (CONTRACT.md "Conversations"): idle ACTIVE conversations become AUTO_ARCHIVED. */
export class AutoArchiveService {
  constructor(private readonly options: AutoArchiveServiceOptions) {}

  /**
   * Archives every conversation idle for longer than `idleDays`, batch after batch, and tells
   * both participants of each (conversationEvent ARCHIVED) once its batch has committed.
   */
  async archiveIdle(em: EntityManager, options: AutoArchiveOptions): Promise<AutoArchiveResult> {
    const started = Date.now();
    const now = options.now ?? new Date();
    const cutoff = new Date(now.getTime() - options.idleDays * 86_400_000);
    const batchSize = options.batchSize ?? 1000;
    let archived = 0;
    let batches = 0;
    for (;;) {
      const rows: Row[] = await em.execute(ARCHIVE_BATCH_SQL, [cutoff, batchSize, now, now, options.idleDays, this.options.outboxLeaseMs]);
      if (rows.length === 0) break;
      batches += 1;
      archived += rows.length;
      this.options.metrics.conversationsAutoArchived.inc(rows.length);
      await Promise.all(
        rows.map((row) =>
          this.options.events.conversationRecorded(String(row.outbox_id), ConversationEventKind.ARCHIVED, String(row.id), [
            String(row.participant_a_id),
            String(row.participant_b_id),
          ]),
        ),
      );
      this.options.logger.debug({ batch: batches, archived }, 'auto-archive batch committed');
      await options.afterBatch?.();
    }
    return { archived, batches, ms: Date.now() - started };
  }
}
