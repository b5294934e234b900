import type { EntityManager } from '@mikro-orm/postgresql';
import { groupReactions, REACTION_GROUPS_OF_CONVERSATIONS, type ReactionGroupRow } from '../../db/rows/reaction.rows';
import type { ReactionRow } from '../../schema/message/message.entity';
import type { Row } from '../rows';

type Sign = (key: string) => Promise<string>;

const iso = (value: unknown) => (value == null ? null : new Date(value as string | Date).toISOString());

export async function countMessages(em: EntityManager, userId: string): Promise<number> {
  const [row]: Row[] = await em.execute('select count(*)::int as n from messages where sender_id = ?', [userId]);
  return Number(row.n);
}

/**
 * Everything the service holds about a user, as one JSON-ready object: profile, preferences,
 * devices (platform and dates, never tokens), every conversation with all its messages (both
 * participants' and system ones, as they are now; image URLs signed), their blocks and their
 * own reports without evidence or moderation notes. Nothing of the other participant beyond
 * what the shared conversations show (their id and their messages).
 */
export async function buildExportDocument(em: EntityManager, userId: string, sign: Sign) {
  const [user]: Row[] = await em.execute('select id, display_name, avatar_url, email, last_seen_at, created_at, updated_at from users where id = ?', [userId]);
  const [preferences]: Row[] = await em.execute(
    `select push_enabled, email_enabled, new_message_push, new_application_push, application_status_push, new_review_push,
            work_agreement_push, quiet_hours_enabled, quiet_hours_start, quiet_hours_end, quiet_hours_timezone, updated_at
     from notification_preferences where user_id = ?`,
    [userId],
  );
  const devices: Row[] = await em.execute('select platform, created_at, last_seen_at from push_devices where user_id = ? order by created_at', [userId]);
  const conversations: Row[] = await em.execute(
    `select id, participant_a_id, participant_b_id, job_application_id, status, created_at, last_message_at, archived_at
     from conversations where participant_a_id = ? or participant_b_id = ? order by created_at, id`,
    [userId, userId],
  );
  const messages: Row[] = conversations.length === 0 ? [] : await em.execute(
    `select m.id, m.conversation_id, m.sequence, m.type, m.sender_id, m.content, m.metadata, m.created_at, m.delivered_at, m.read_at, m.flags,
            m.reply_to_id, m.edited_at, m.deleted_at, m.revision,
            i.status as image_status, i.mime_type, i.width, i.height, i.original_key, i.preview_key, i.thumbnail_key
     from messages m left join message_images i on i.message_id = m.id
     where m.conversation_id in (select jsonb_array_elements_text(?::jsonb)::uuid) order by m.conversation_id, m.sequence`,
    [JSON.stringify(conversations.map((c) => String(c.id)))],
  );
  const reactions = conversations.length === 0
    ? new Map<string, ReactionRow[]>()
    : groupReactions(await em.execute<ReactionGroupRow[]>(REACTION_GROUPS_OF_CONVERSATIONS, [JSON.stringify(conversations.map((c) => String(c.id)))]));
  const blocks: Row[] = await em.execute('select blocked_id, created_at from user_blocks where blocker_id = ? order by created_at', [userId]);
  const reports: Row[] = await em.execute(
    'select id, reason, details, status, reported_user_id, conversation_id, message_id, created_at from reports where reporter_id = ? order by created_at',
    [userId],
  );

  const byConversation = new Map<string, unknown[]>(conversations.map((c) => [String(c.id), []]));
  for (const m of messages) byConversation.get(String(m.conversation_id))!.push(await exportMessage(m, reactions.get(String(m.id)) ?? [], sign));

  return {
    exportedAt: new Date().toISOString(),
    user: { id: String(user.id), displayName: user.display_name ?? null, avatarUrl: user.avatar_url ?? null, email: user.email ?? null, lastSeenAt: iso(user.last_seen_at), createdAt: iso(user.created_at) },
    notificationPreferences: preferences
      ? {
          pushEnabled: preferences.push_enabled,
          emailEnabled: preferences.email_enabled,
          newMessagePush: preferences.new_message_push,
          newApplicationPush: preferences.new_application_push,
          applicationStatusPush: preferences.application_status_push,
          newReviewPush: preferences.new_review_push,
          workAgreementPush: preferences.work_agreement_push,
          quietHours: { enabled: preferences.quiet_hours_enabled, start: preferences.quiet_hours_start, end: preferences.quiet_hours_end, timezone: preferences.quiet_hours_timezone },
          updatedAt: iso(preferences.updated_at),
        }
      : null,
    devices: devices.map((d) => ({ platform: d.platform, createdAt: iso(d.created_at), lastSeenAt: iso(d.last_seen_at) })),
    conversations: conversations.map((c) => ({
      id: String(c.id),
      participantIds: [String(c.participant_a_id), String(c.participant_b_id)],
      jobApplicationId: c.job_application_id ?? null,
      status: c.status,
      createdAt: iso(c.created_at),
      lastMessageAt: iso(c.last_message_at),
      archivedAt: iso(c.archived_at),
      messages: byConversation.get(String(c.id)),
    })),
    blocks: blocks.map((b) => ({ blockedUserId: String(b.blocked_id), createdAt: iso(b.created_at) })),
    reports: reports.map((r) => ({
      id: String(r.id),
      reason: r.reason,
      details: r.details ?? null,
      status: r.status,
      reportedUserId: String(r.reported_user_id),
      conversationId: r.conversation_id ? String(r.conversation_id) : null,
      messageId: r.message_id ? String(r.message_id) : null,
      createdAt: iso(r.created_at),
    })),
  };
}

/** A message as the API shows it now, reactions grouped as the API groups them (user ids, no profiles). */
async function exportMessage(m: Row, reactions: ReactionRow[], sign: Sign) {
  const image = m.mime_type
    ? {
        status: m.image_status,
        mimeType: m.mime_type,
        width: m.width,
        height: m.height,
        originalUrl: m.original_key ? await sign(String(m.original_key)) : null,
        previewUrl: m.preview_key ? await sign(String(m.preview_key)) : null,
        thumbnailUrl: m.thumbnail_key ? await sign(String(m.thumbnail_key)) : null,
      }
    : null;
  return {
    id: String(m.id),
    sequence: Number(m.sequence),
    type: m.type,
    senderId: m.sender_id ? String(m.sender_id) : null,
    content: m.content ?? null,
    metadata: m.metadata ?? {},
    createdAt: iso(m.created_at),
    deliveredAt: iso(m.delivered_at),
    readAt: iso(m.read_at),
    replyToId: m.reply_to_id ? String(m.reply_to_id) : null,
    editedAt: iso(m.edited_at),
    deletedAt: iso(m.deleted_at),
    revision: Number(m.revision),
    flags: m.flags ?? [],
    image,
    reactions: reactions.map((group) => ({ emoji: group.emoji, count: group.userIds.length, userIds: group.userIds })),
  };
}
