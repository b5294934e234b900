import * as archiveIdleConversations from './archive-idle-conversations.job';
import * as deleteExpiredImages from './delete-expired-images.job';
import type { JobModule } from './job';
import * as pushMaintenance from './push-maintenance.job';

/**
 * Every job that can be run by name. To add one: write `src/jobs/<name>.job.ts` exporting
 * `name`, `description` and `run(deps)`, and list its module here.
 */
export const JOBS: readonly JobModule[] = [deleteExpiredImages, archiveIdleConversations, pushMaintenance];

/** The job called `name`, or undefined. */
export function findJob(name: string): JobModule | undefined {
  return JOBS.find((job) => job.name === name);
}
