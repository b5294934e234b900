import { openParts } from '../composition-root';
import type { Config } from '../config';
import type { Logger } from '../observability/logger';
import { createServices } from '../services/services';
import type { AgendaScheduler } from './agenda-scheduler';
import type { JobDeps } from './job';

/** The parts a job process opened, closed in reverse by `close()`. */
export interface JobRuntime {
  deps: JobDeps;
  /** Agenda on the same database: schedules jobs; a worker also starts it. */
  scheduler: AgendaScheduler;
  close(): Promise<void>;
}

/**
 * Opens what jobs need outside the HTTP server (`npm run jobs:run`, a worker) through the
 * composition root (role `jobs`: no sockets, presence read only), and the services on it.
 * The database is external or the embedded one of DATA_DIR, reused when the service is running
 * on it; events published by jobs reach subscribers through Redis.
 */
export async function openJobRuntime(config: Config, logger: Logger): Promise<JobRuntime> {
  const parts = await openParts({ role: 'jobs', config, logger });
  try {
    const services = createServices(parts);
    // Background push decisions finish before the scheduler and the pools close.
    parts.onClose('push decisions', () => services.notifications.close());
    parts.outbox.startRelay({ announcer: services.announcer, events: services.events });
    return { deps: { services, config, logger }, scheduler: parts.jobQueue, close: parts.close };
  } catch (error) {
    await parts.close();
    throw error;
  }
}
