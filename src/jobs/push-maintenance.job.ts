import type { JobDeps } from './job';

export const name = 'push-maintenance';

export const description =
  'reschedules push batches and held notifications whose job was lost, sends deliveries left pending, prunes old delivery records';

/** Safety net of the push pipeline; every part is idempotent. */
export async function run({ services, logger }: JobDeps): Promise<void> {
  const result = await services.pushJobs.pushMaintenance.run();
  logger.info({ job: name, ...result }, 'job done');
}
