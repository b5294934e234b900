import type { Sql, Statement } from '../db/sql';
import type { Logger } from '../observability/logger';
import type { ConversationEventPayload, ReadReceiptPayload } from '../realtime/topics';
import type { EventPublisher } from './event-publisher';
import type { MessageAnnouncer } from './message-announcer';
import { FULL_MESSAGE_SELECT, REACTION_GROUPS_OF_MANY, groupReactions, toFullMessage, type FullMessageRow, type ReactionGroupRow, type Row } from './rows';

/** An outbox row's payload for the kinds that carry one (`message` and `message_updated` rows name a message, read from its table). */
export type OutboxPayload =
  | { kind: 'read'; receipt: ReadReceiptPayload; participantIds: [string, string] }
  | { kind: 'conversation'; event: ConversationEventPayload; participantIds: string[] };

export interface OutboxOptions {
  sql: Sql;
  logger: Logger;
  /** How long the instance that committed a row may publish it before the relay does (OUTBOX_LEASE_MS). */
  leaseMs: number;
  /** How often the relay looks for rows whose lease ran out (OUTBOX_SWEEP_MS). */
  sweepMs: number;
  /** Acknowledged rows are deleted together, at most this long after their publish. */
  ackFlushMs?: number;
}

const PUSH_DECIDED: Statement = { name: 'outbox_push_decided', text: 'update outbox set push_decided = true where id = any($1::bigint[])' };
const ACK: Statement = { name: 'outbox_ack', text: 'delete from outbox where id = any($1::bigint[])' };
const RECORD: Statement = {
  name: 'outbox_record',
  text: `insert into outbox (kind, payload, lease_until) values ($1, $2::jsonb, clock_timestamp() + make_interval(secs => $3 / 1000.0)) returning id`,
};
const RECORD_UPDATE: Statement = {
  name: 'outbox_record_update',
  text: `insert into outbox (kind, message_id, lease_until) values ('message_updated', $1, clock_timestamp() + make_interval(secs => $2 / 1000.0)) returning id`,
};
// A relay takes rows whose lease ran out and leases them to itself: another instance's relay
// skips them (SKIP LOCKED), and if this one dies too, the lease runs out again.
const TAKE_EXPIRED: Statement = {
  name: 'outbox_take_expired',
  text: `update outbox o set lease_until = clock_timestamp() + make_interval(secs => $1 / 1000.0)
         where o.id in (select id from outbox where lease_until < clock_timestamp() order by id limit $2 for update skip locked)
         returning o.id, o.kind, o.message_id, o.payload, o.push_decided`,
};
const FULL_MESSAGES: Statement = { name: 'outbox_messages', text: `${FULL_MESSAGE_SELECT} where m.id = any($1::uuid[]) order by m.conversation_id, m.sequence` };
const UPDATED_REACTIONS: Statement = { name: 'outbox_reactions', text: REACTION_GROUPS_OF_MANY };
const RELAY_BATCH = 200;

/**
 * The transactional outbox (see the send_pipeline migration). Every event that subscribers or
 * push must hear of is a row written in the transaction of its change. The instance that
 * committed publishes at once (the fast path) and acknowledges the row; the relay, on every
 * instance, publishes rows whose lease ran out: their instance crashed, was cut off by a
 * shutdown, or could not reach Redis. So every committed event is published at least once,
 * and subscribers drop duplicates.
 *
 * The relay polls instead of waiting for LISTEN/NOTIFY: a row becomes the relay's only when
 * its lease ends, which no notification announces, and a poll of an index costs next to nothing.
 */
export class Outbox {
  private readonly pendingAcks = new Set<string>();
  private ackTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private relayTargets: { announcer: MessageAnnouncer; events: EventPublisher } | null = null;

  constructor(private readonly options: OutboxOptions) {}

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  /** Writes an event row through `sql` (a transaction of the change); answers its id. */
  async record(sql: Sql, payload: OutboxPayload): Promise<string> {
    const [row] = await sql.query<Row>(RECORD, [payload.kind, JSON.stringify(payload), this.options.leaseMs]);
    return String(row.id);
  }

  /**
   * Writes the row of a message change (edit, deletion, reaction) through `sql`, the change's
   * transaction; answers its id. Like a message row it names the message: the relay publishes
   * the message's state as it then is.
   */
  async recordUpdate(sql: Sql, messageId: string): Promise<string> {
    const [row] = await sql.query<Row>(RECORD_UPDATE, [messageId, this.options.leaseMs]);
    return String(row.id);
  }

  /** Marks rows as published; they are deleted in one statement with the others of the moment. */
  done(ids: string[]): void {
    for (const id of ids) this.pendingAcks.add(id);
    this.ackTimer ??= setTimeout(() => void this.flushAcks(), this.options.ackFlushMs ?? 20);
  }

  /**
   * Remembers that the push decision of these rows was taken although their publish failed:
   * the relay publishes them later without deciding again.
   */
  pushDecided(ids: string[]): void {
    this.options.sql.query(PUSH_DECIDED, [ids]).catch((error: unknown) => {
      // The relay then decides again: the decision only opens or joins the conversation's batch.
      this.options.logger.warn({ err: error, rows: ids.length }, 'outbox push decision mark failed');
    });
  }

  /** Starts the relay on this instance. */
  startRelay(targets: { announcer: MessageAnnouncer; events: EventPublisher }): void {
    this.relayTargets = targets;
    const tick = () => {
      this.sweeping = this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'outbox sweep failed'))
        .finally(() => {
          this.sweeping = null;
          if (this.relayTargets) this.sweepTimer = setTimeout(tick, this.options.sweepMs);
        });
    };
    this.sweepTimer = setTimeout(tick, this.options.sweepMs);
    this.sweepTimer.unref();
  }

  /** Publishes every row whose lease ran out, oldest first; answers how many it took. */
  async sweep(): Promise<number> {
    const targets = this.relayTargets;
    if (!targets) return 0;
    const rows = await this.options.sql.query<Row>(TAKE_EXPIRED, [this.options.leaseMs, RELAY_BATCH]);
    if (rows.length === 0) return 0;
    this.options.logger.warn({ rows: rows.length }, 'outbox relay publishing events another publish did not finish');
    const messageRows = rows.filter((row) => row.kind === 'message');
    await this.republishUpdates(rows.filter((row) => row.kind === 'message_updated'), targets.events);
    const outboxIdByMessage = new Map(messageRows.map((row) => [String(row.message_id), String(row.id)]));
    const pushDecided = new Set(messageRows.filter((row) => row.push_decided === true).map((row) => String(row.id)));
    const messages = messageRows.length > 0 ? await this.options.sql.query<FullMessageRow>(FULL_MESSAGES, [[...outboxIdByMessage.keys()]]) : [];
    // In sequence order per conversation (the query's order), one after another.
    for (const row of messages) {
      const outboxId = outboxIdByMessage.get(String(row.id))!;
      await targets.announcer.announce({
        message: toFullMessage(row),
        participantIds: [String(row.participant_a_id), String(row.participant_b_id)],
        outboxIds: [outboxId],
        relayed: true,
        pushDecided: pushDecided.has(outboxId),
      });
    }
    for (const row of rows) {
      const payload = row.payload as OutboxPayload | null;
      if (!payload) continue;
      const published =
        payload.kind === 'read'
          ? await targets.events.messagesRead(payload.receipt, payload.participantIds)
          : await targets.events.conversationChanged(payload.event.kind, payload.event.conversationId, payload.participantIds);
      if (published) this.done([String(row.id)]);
    }
    return rows.length;
  }

  /**
   * Changes (edits, deletions, reactions) whose publish did not finish: each message in its
   * current state, whose revision is at least the row's (subscribers resume by revision, so a
   * newer state in place of an older one loses nothing).
   */
  private async republishUpdates(rows: Row[], events: EventPublisher): Promise<void> {
    if (rows.length === 0) return;
    const ids = [...new Set(rows.map((row) => String(row.message_id)))];
    const states = await this.options.sql.query<FullMessageRow>(FULL_MESSAGES, [ids]);
    const reactions = groupReactions(await this.options.sql.query<ReactionGroupRow>(UPDATED_REACTIONS, [ids]));
    const published = new Set<string>();
    for (const row of states) {
      const message = toFullMessage(row);
      message.reactionRows = reactions.get(message.id) ?? [];
      if (await events.messageUpdated(message, [String(row.participant_a_id), String(row.participant_b_id)])) published.add(message.id);
    }
    // Rows of messages gone since (erased) have nothing left to announce.
    const gone = new Set(ids.filter((id) => !states.some((row) => String(row.id) === id)));
    this.done(rows.filter((row) => published.has(String(row.message_id)) || gone.has(String(row.message_id))).map((row) => String(row.id)));
  }

  /** Stops the relay and deletes the acknowledged rows. */
  async close(): Promise<void> {
    this.relayTargets = null;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    await this.sweeping;
    await this.flushAcks();
  }

  private async flushAcks(): Promise<void> {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.pendingAcks.size === 0) return;
    const ids = [...this.pendingAcks];
    this.pendingAcks.clear();
    try {
      await this.options.sql.query(ACK, [ids]);
    } catch (error) {
      // The rows stay: the relay publishes them again once their lease ends (a duplicate, never a loss).
      this.options.logger.warn({ err: error, rows: ids.length }, 'outbox acknowledgement failed');
    }
  }
}
