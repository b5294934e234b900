import { deletePendingObjects } from '../services/privacy/pending-object-deletes';
import type { JobDeps } from './job';

export const name = 'delete-pending-objects';

export const description = "deletes stored objects that are due (an erased user's images, expired data exports), retrying failures";

export async function run({ services, logger }: JobDeps): Promise<void> {
  const deleted = await deletePendingObjects(services.deps.orm.em.fork(), services.deps.storage, logger);
  logger.info({ job: name, deleted }, 'job done');
}
