import type { PushMessage, PushPlatform } from '../../push/push-transport';
import type { NotificationType } from '../../schema/common/enums';
import type { Timestamp } from './row-values';

/**
 * The push tables as the raw SQL reads them: push_notifications (one per event and recipient),
 * push_deliveries (one per notification and device), push_conversation_state (a recipient's
 * batch per conversation).
 */

/** A delivery claimed for sending, joined with its device and notification. */
export interface ClaimedDeliveryRow {
  device_id: string;
  token: string;
  platform: PushPlatform;
  type: NotificationType;
  title: string;
  body: string;
  data: Record<string, string> | null;
  collapse_key: string;
  thread_id: string;
  badge: number | null;
}

export const CLAIMED_DELIVERY_COLUMNS = 'd.device_id, p.token, p.platform, n.type, n.title, n.body, n.data, n.collapse_key, n.thread_id, n.badge';

/** What the transport sends for a claimed delivery. */
export function toPushMessage(row: ClaimedDeliveryRow): PushMessage {
  return {
    token: row.token,
    platform: row.platform,
    title: row.title,
    body: row.body,
    data: row.data ?? {},
    collapseKey: row.collapse_key,
    threadId: row.thread_id,
    badge: row.badge === null || row.badge === undefined ? undefined : Number(row.badge),
  };
}

/** The columns of push_notifications that releasing a held notification reads. */
export interface HeldNotificationRow {
  user_id: string;
  type: NotificationType;
  state: 'ready' | 'held';
  due_at: Timestamp | null;
}

/** A recipient's batch of one conversation in push_conversation_state. */
export interface ConversationBatchRow {
  user_id: string;
  conversation_id: string;
  pushed_up_to: number;
  batch_from: number | null;
  due_at: Timestamp | null;
}
