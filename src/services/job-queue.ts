/** Names of the jobs that services schedule with data (each is a file in src/jobs/). */
export const DELIVER_CONVERSATION_PUSH = 'deliver-conversation-push';
export const DELIVER_HELD_NOTIFICATION = 'deliver-held-notification';
export const DELIVER_WEBHOOK = 'deliver-webhook';

/** Data of `deliver-webhook`: the webhook whose due events the job sends, in order. */
export interface WebhookJobData {
  webhookId: string;
}

/** Data of `deliver-conversation-push`: ids only, the job reads the rest when it runs. */
export interface ConversationPushJobData {
  userId: string;
  conversationId: string;
}

/** Data of `deliver-held-notification`. */
export interface HeldNotificationJobData {
  notificationId: string;
}

export const EXPORT_USER_DATA = 'export-user-data';

/** Data of `export-user-data`: the user and the storage key the URL was signed for. */
export interface ExportUserDataJobData {
  userId: string;
  key: string;
}

/**
 * Durable one-off jobs, as services see them (Agenda on PostgreSQL: src/jobs/agenda-scheduler.ts).
 * A scheduled job survives restarts and runs once on whichever instance or worker takes it.
 */
export interface JobQueue {
  schedule(name: typeof DELIVER_CONVERSATION_PUSH, at: Date, data: ConversationPushJobData): Promise<void>;
  schedule(name: typeof DELIVER_HELD_NOTIFICATION, at: Date, data: HeldNotificationJobData): Promise<void>;
  schedule(name: typeof EXPORT_USER_DATA, at: Date, data: ExportUserDataJobData): Promise<void>;
  schedule(name: typeof DELIVER_WEBHOOK, at: Date, data: WebhookJobData): Promise<void>;
}
