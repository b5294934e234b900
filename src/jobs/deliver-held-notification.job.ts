import type { HeldNotificationJobData } from '../services/job-queue';
import { DELIVER_HELD_NOTIFICATION } from '../services/job-queue';
import type { JobDeps } from './job';

export const name = DELIVER_HELD_NOTIFICATION;

export const description = 'sends a notifyUser notification held by quiet hours when they end';

export async function handle({ services, logger }: JobDeps, data: HeldNotificationJobData): Promise<void> {
  const outcome = await services.pushJobs.deliverHeldNotification.deliver(data.notificationId);
  logger.debug({ job: name, notificationId: data.notificationId, outcome }, 'job done');
}
