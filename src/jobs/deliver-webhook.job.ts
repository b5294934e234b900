import type { WebhookJobData } from '../services/job-queue';
import { DELIVER_WEBHOOK } from '../services/job-queue';
import type { JobDeps } from './job';

export const name = DELIVER_WEBHOOK;

export const description = "sends a webhook's due events in order, scheduling retries of failed ones";

export async function handle({ services }: JobDeps, data: WebhookJobData): Promise<void> {
  await services.webhooks.deliverDue(data.webhookId);
}
