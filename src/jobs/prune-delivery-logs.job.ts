import type { JobDeps } from './job';

export const name = 'prune-delivery-logs';

export const description = 'deletes webhook events finished more than 7 days ago (with their attempts) and email digest records older than 30 days';

export async function run({ services, logger }: JobDeps): Promise<void> {
  const webhookEvents = await services.webhooks.pruneFinished();
  const emailDigests = await services.emailDigests.pruneRecords();
  logger.info({ job: name, webhookEvents, emailDigests }, 'job done');
}
