import type { JobsConfig } from '../config';
import * as archiveIdleConversations from './archive-idle-conversations.job';
import * as deleteExpiredImages from './delete-expired-images.job';
import * as deletePendingObjects from './delete-pending-objects.job';
import * as deliverConversationPush from './deliver-conversation-push.job';
import * as deliverHeldNotification from './deliver-held-notification.job';
import * as exportUserData from './export-user-data.job';
import * as deliverWebhook from './deliver-webhook.job';
import type { JobModule } from './job';
import type { DataJobModule } from './job-context';
import * as pruneDeliveryLogs from './prune-delivery-logs.job';
import * as pushMaintenance from './push-maintenance.job';
import * as sendEmailDigests from './send-email-digests.job';

/** When a recurring job runs: a cron expression in a time zone. */
export interface Schedule {
  cron: string;
  timezone: string;
}

/** A job that runs on a schedule, and by name with `npm run jobs:run -- NAME`. */
export interface RecurringJob {
  job: JobModule;
  schedule(config: JobsConfig): Schedule;
}

/**
 * The one list of jobs: the scheduler defines and schedules exactly these, and `jobs:run` runs
 * the recurring ones by name. To add a recurring job, write `src/jobs/<name>.job.ts` exporting
 * `name`, `description` and `run(deps)`, and list it here with its schedule; a job that a
 * service schedules with data (ids) exports `handle(deps, data)` and goes in DATA_JOBS.
 */
export const RECURRING_JOBS: readonly RecurringJob[] = [
  { job: deleteExpiredImages, schedule: (config) => ({ cron: config.imageExpiryCron, timezone: config.archiveTimezone }) },
  { job: archiveIdleConversations, schedule: (config) => ({ cron: config.archiveCron, timezone: config.archiveTimezone }) },
  { job: pushMaintenance, schedule: () => ({ cron: '*/15 * * * *', timezone: 'UTC' }) },
  // Every minute: an erasure's storage deletes that failed are retried within a minute.
  { job: deletePendingObjects, schedule: () => ({ cron: '* * * * *', timezone: 'UTC' }) },
  { job: pruneDeliveryLogs, schedule: () => ({ cron: '30 4 * * *', timezone: 'UTC' }) },
  { job: sendEmailDigests, schedule: (config) => ({ cron: config.emailDigestCron, timezone: 'UTC' }) },
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each job's data type is its own
export const DATA_JOBS: readonly DataJobModule<any>[] = [deliverConversationPush, deliverHeldNotification, exportUserData, deliverWebhook];

/** The recurring jobs, for `jobs:run`. */
export const JOBS: readonly JobModule[] = RECURRING_JOBS.map(({ job }) => job);

/** The recurring job called `name`, or undefined. */
export function findJob(name: string): JobModule | undefined {
  return JOBS.find((job) => job.name === name);
}
