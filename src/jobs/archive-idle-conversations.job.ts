import type { JobDeps } from './job';
import type { JobContext } from './job-context';

export const name = 'archive-idle-conversations';

export const description = 'moves ACTIVE conversations idle for ARCHIVE_IDLE_DAYS (default 90) to AUTO_ARCHIVED, in batches';

/** One pass over every idle conversation; a second pass right after finds nothing to do. */
export async function run({ services, config, logger }: JobDeps, context: JobContext = {}): Promise<void> {
  const result = await services.autoArchive.archiveIdle(services.deps.orm.em.fork(), {
    idleDays: config.jobs.archiveIdleDays,
    batchSize: config.jobs.archiveBatchSize,
    afterBatch: context.heartbeat,
  });
  logger.info({ job: name, ...result }, 'job done');
}
