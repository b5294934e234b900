import { EXPORT_USER_DATA, type ExportUserDataJobData } from '../services/job-queue';
import type { JobDeps } from './job';

export const name = EXPORT_USER_DATA;

export const description = "writes a large user's data export (exportUserData) to the object storage";

export async function handle({ services, logger }: JobDeps, data: ExportUserDataJobData): Promise<void> {
  await services.exports.write(services.deps.orm.em.fork(), data.userId, data.key);
  logger.info({ job: name, userId: data.userId }, 'job done');
}
