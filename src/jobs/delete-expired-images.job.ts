import type { JobDeps } from './job';

export const name = 'delete-expired-images';

export const description = 'deletes the stored objects of images past delete_after and marks them DELETED (messages stay)';

/** One pass of the image expiry routine over every image due, in batches. */
export async function run({ services, logger }: JobDeps): Promise<void> {
  const em = services.deps.orm.em.fork();
  const deleted = await services.imageExpiry.deleteExpired(em);
  logger.info({ job: name, deleted }, 'job done');
}
