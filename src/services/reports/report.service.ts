import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../auth/viewer';
import { LIMITS } from '../../config';
import { EmSql } from '../../db/sql';
import { badInput, notFound } from '../../errors';
import type { Metrics } from '../../observability/metrics';
import { ReportReason, ReportStatus } from '../../schema/common/safety-enums';
import type { Report } from '../../schema/report/report.types';
import { recordWebhookEvent } from '../../webhooks/record-webhook-event';
import { WebhookEventType } from '../../webhooks/webhook-event-type';
import { recordAudit } from '../audit.service';
import type { BlockService } from '../blocks/block.service';
import { checkPageSize, decodeActivityCursor, encodeCursor, type PageInfoData } from '../pagination';
import type { Row } from '../rows';
import { REPORT_COLUMNS, toReport } from './report-rows';

/** Messages before the reported one, or a conversation's last ones, copied as evidence. */
export const EVIDENCE_MESSAGES = 20;
const DETAILS_MAX = 2000;
const NOTE_MAX = 2000;

export interface ReportMessageInput {
  messageId: string;
  reason: ReportReason;
  details?: string | null;
  block?: boolean | null;
}

export interface ReportUserInput {
  userId: string;
  reason: ReportReason;
  details?: string | null;
  conversationId?: string | null;
  block?: boolean | null;
}

export interface ReportPage {
  edges: { cursor: string; node: Report }[];
  pageInfo: PageInfoData;
}

interface NewReport {
  reporterId: string;
  reportedUserId: string;
  reason: ReportReason;
  details: string | null;
  conversationId: string | null;
  messageId: string | null;
}

/**
 * Reports with their evidence (CONTRACT.md "Blocking, reports and detection"). The evidence is
 * copied into report_evidence in the report's own transaction: later edits, deletions and
 * erasure of the messages do not reach it.
 */
export class ReportService {
  constructor(
    private readonly blocks: BlockService,
    private readonly metrics: Metrics,
  ) {}

  /** reportMessage: a message of the other participant the viewer can see; again: the first report. */
  async reportMessage(em: EntityManager, viewerId: string, input: ReportMessageInput): Promise<Report> {
    const details = checkDetails(input.details);
    if (!isUuid(input.messageId)) throw notFound('Message');
    const [message]: Row[] = await em.execute(
      `select m.id, m.sequence, m.sender_id, m.conversation_id from messages m
       join conversations c on c.id = m.conversation_id
       where m.id = ? and (c.participant_a_id = ? or c.participant_b_id = ?)`,
      [input.messageId.toLowerCase(), viewerId, viewerId],
    );
    if (!message || !message.sender_id) throw notFound('Message');
    if (String(message.sender_id) === viewerId) throw badInput('You cannot report your own message', 'messageId');
    const reportedUserId = String(message.sender_id);
    const report = await em.transactional(async (tx) => {
      const [existing]: Row[] = await tx.execute(`select ${REPORT_COLUMNS} from reports where reporter_id = ? and message_id = ?`, [viewerId, message.id]);
      if (existing) return { report: toReport(existing), created: false };
      const created = await this.insert(tx as EntityManager, {
        reporterId: viewerId,
        reportedUserId,
        reason: input.reason,
        details,
        conversationId: String(message.conversation_id),
        messageId: String(message.id),
      });
      if (!created) {
        // A racing identical report won the unique index: answer it.
        const [winner]: Row[] = await tx.execute(`select ${REPORT_COLUMNS} from reports where reporter_id = ? and message_id = ?`, [viewerId, message.id]);
        return { report: toReport(winner), created: false };
      }
      await copyEvidence(tx as EntityManager, created.id, String(message.conversation_id), Number(message.sequence), EVIDENCE_MESSAGES + 1);
      return { report: created, created: true };
    });
    if (report.created) this.metrics.reports.inc({ reason: input.reason });
    if (input.block) await this.blocks.block(em, viewerId, reportedUserId);
    return report.report;
  }

  /** reportUser: someone the viewer shares a conversation with; with conversationId its last 20 messages. */
  async reportUser(em: EntityManager, viewerId: string, input: ReportUserInput): Promise<Report> {
    const details = checkDetails(input.details);
    if (!isUuid(input.userId)) throw notFound('User');
    const userId = input.userId.toLowerCase();
    if (input.conversationId != null && !isUuid(input.conversationId)) throw notFound();
    const [a, b] = [viewerId, userId].sort();
    const shared: Row[] = await em.execute(
      `select id, last_sequence from conversations where participant_a_id = ? and participant_b_id = ? and (?::uuid is null or id = ?::uuid) limit 1`,
      [a, b, input.conversationId?.toLowerCase() ?? null, input.conversationId?.toLowerCase() ?? null],
    );
    if (a === b || shared.length === 0) throw notFound(input.conversationId ? 'Conversation' : 'User');
    const conversationId = input.conversationId ? String(shared[0].id) : null;
    const report = await em.transactional(async (tx) => {
      const created = (await this.insert(tx as EntityManager, { reporterId: viewerId, reportedUserId: userId, reason: input.reason, details, conversationId, messageId: null }))!;
      if (conversationId) await copyEvidence(tx as EntityManager, created.id, conversationId, Number(shared[0].last_sequence), EVIDENCE_MESSAGES);
      return created;
    });
    this.metrics.reports.inc({ reason: input.reason });
    if (input.block) await this.blocks.block(em, viewerId, userId);
    return report;
  }

  /** The moderation queue (service role): newest first, by status (default OPEN), keyset cursor. */
  async list(em: EntityManager, status: ReportStatus | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<ReportPage> {
    const limit = checkPageSize(first, 'first') ?? LIMITS.defaultConversationPageSize;
    const params: unknown[] = [status ?? ReportStatus.OPEN];
    let afterSql = '';
    if (after) {
      const [createdAt, id] = decodeActivityCursor(after);
      afterSql = 'and (created_at, id) < (?::timestamptz, ?::uuid)';
      params.push(createdAt, id);
    }
    const rows: Row[] = await em.execute(
      `select ${REPORT_COLUMNS}, created_at::text as cursor_at from reports where status = ? ${afterSql}
       order by created_at desc, id desc limit ?`,
      [...params, limit + 1],
    );
    const edges = rows.slice(0, limit).map((row) => ({ cursor: encodeCursor([String(row.cursor_at), String(row.id)]), node: toReport(row) }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, hasPreviousPage: Boolean(after), startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  /** resolveReport (service role): status and note, with an audit row. */
  async resolve(em: EntityManager, actorId: string, id: string, status: ReportStatus, note: string | null | undefined): Promise<Report> {
    if (!isUuid(id)) throw notFound('Report');
    if (note != null && note.length > NOTE_MAX) throw badInput(`note must be at most ${NOTE_MAX} characters`, 'note');
    return em.transactional(async (tx) => {
      const rows: Row[] = await tx.execute(
        `update reports set status = ?, resolution_note = ?, resolved_at = case when ? = 'OPEN' then null else now() end
         where id = ? returning ${REPORT_COLUMNS}`,
        [status, note ?? null, status, id.toLowerCase()],
      );
      if (rows.length === 0) throw notFound('Report');
      await recordAudit(tx as EntityManager, [{ actorId, action: 'report.resolved', entityType: 'report', entityId: String(rows[0].id), data: { status } }]);
      return toReport(rows[0]);
    });
  }

  /** Inserts a report and its audit row; null when an identical message report exists. */
  private async insert(tx: EntityManager, report: NewReport): Promise<Report | null> {
    const rows: Row[] = await tx.execute(
      `insert into reports (id, reason, details, reporter_id, reported_user_id, conversation_id, message_id)
       values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing returning ${REPORT_COLUMNS}`,
      [randomUUID(), report.reason, report.details, report.reporterId, report.reportedUserId, report.conversationId, report.messageId],
    );
    if (rows.length === 0) return null;
    const created = toReport(rows[0]);
    await recordAudit(tx, [{ actorId: report.reporterId, action: 'report.created', entityType: 'report', entityId: created.id, data: { reason: report.reason } }]);
    await recordWebhookEvent(new EmSql(tx), WebhookEventType.REPORT_CREATED, {
      report: {
        id: created.id,
        reason: report.reason,
        reporterId: report.reporterId,
        reportedUserId: report.reportedUserId,
        conversationId: report.conversationId,
        messageId: report.messageId,
      },
    });
    return created;
  }
}

/** Copies the `count` messages up to and including sequence `upTo`, as they are now. */
async function copyEvidence(tx: EntityManager, reportId: string, conversationId: string, upTo: number, count: number): Promise<void> {
  await tx.execute(
    `insert into report_evidence (report_id, message_id, sequence, sender_id, content, created_at)
     select ?, id, sequence, sender_id, content, created_at from messages
     where conversation_id = ? and sequence between ? and ?`,
    [reportId, conversationId, upTo - count + 1, upTo],
  );
}

function checkDetails(details: string | null | undefined): string | null {
  if (details == null) return null;
  if (details.length > DETAILS_MAX) throw badInput(`details must be at most ${DETAILS_MAX} characters`, 'details');
  return details;
}
