/** Names of the jobs that services schedule with data (each is a file in src/jobs/). */
export const DELIVER_CONVERSATION_PUSH = 'deliver-conversation-push';
export const DELIVER_HELD_NOTIFICATION = 'deliver-held-notification';

/** Data of `deliver-conversation-push`: ids only, the job reads the rest when it runs. */
export interface ConversationPushJobData {
  userId: string;
  conversationId: string;
}

/** Data of `deliver-held-notification`. */
export interface HeldNotificationJobData {
  notificationId: string;
}

/**
 * Durable one-off jobs, as services see them (Agenda on PostgreSQL: src/jobs/agenda-scheduler.ts).
 * A scheduled job survives restarts and runs once on whichever instance or worker takes it.
 */
export interface JobQueue {
  schedule(name: typeof DELIVER_CONVERSATION_PUSH, at: Date, data: ConversationPushJobData): Promise<void>;
  schedule(name: typeof DELIVER_HELD_NOTIFICATION, at: Date, data: HeldNotificationJobData): Promise<void>;
}
