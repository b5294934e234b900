import type { ReportReason, ReportStatus } from '../../schema/common/safety-enums';
import { EvidenceMessage, Report } from '../../schema/report/report.types';
import type { Row } from '../rows';

export const REPORT_COLUMNS = 'id, reason, details, status, reporter_id, reported_user_id, conversation_id, message_id, resolution_note, created_at';
export const EVIDENCE_COLUMNS = 'report_id, message_id, sequence, sender_id, content, created_at';

export function toReport(row: Row): Report {
  return Object.assign(new Report(), {
    id: String(row.id),
    reason: row.reason as ReportReason,
    details: (row.details as string | null) ?? null,
    status: row.status as ReportStatus,
    createdAt: new Date(row.created_at as string | Date),
    reporterId: String(row.reporter_id),
    reportedUserId: String(row.reported_user_id),
    conversationId: row.conversation_id ? String(row.conversation_id) : null,
    messageId: row.message_id ? String(row.message_id) : null,
    storedResolutionNote: (row.resolution_note as string | null) ?? null,
  });
}

export function toEvidence(row: Row): EvidenceMessage {
  return {
    messageId: String(row.message_id),
    sequence: Number(row.sequence),
    senderId: row.sender_id ? String(row.sender_id) : null,
    content: (row.content as string | null) ?? null,
    createdAt: new Date(row.created_at as string | Date),
  };
}
