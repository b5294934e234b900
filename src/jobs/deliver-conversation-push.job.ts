import type { ConversationPushJobData } from '../services/job-queue';
import { DELIVER_CONVERSATION_PUSH } from '../services/job-queue';
import type { JobDeps } from './job';

export const name = DELIVER_CONVERSATION_PUSH;

export const description = "sends the batch of a recipient's unread messages in one conversation as one notification (window or quiet-hours end)";

/** Scheduled by the first message of a batch; several messages make one run. */
export async function handle({ services, logger }: JobDeps, data: ConversationPushJobData): Promise<void> {
  const outcome = await services.pushJobs.deliverConversationPush.deliver(data.userId, data.conversationId);
  logger.debug({ job: name, userId: data.userId, conversationId: data.conversationId, outcome }, 'job done');
}
