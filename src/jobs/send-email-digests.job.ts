import type { JobDeps } from './job';

export const name = 'send-email-digests';

export const description = 'emails each recipient a digest of conversations with messages unread for EMAIL_DIGEST_DELAY_MINUTES';

export async function run({ services, logger }: JobDeps): Promise<void> {
  const result = await services.emailDigests.sendDue();
  if (result.sent + result.failed > 0) logger.info({ job: name, ...result }, 'email digests sent');
}
