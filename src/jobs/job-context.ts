import type { JobDeps } from './job';

/** What a run gets from the scheduler that started it (Agenda); absent under `jobs:run`. */
export interface JobContext {
  /** Extends the run's lock; long jobs call it between batches so no other worker takes over. */
  heartbeat?: () => Promise<void>;
}

/**
 * A job that Agenda runs with data (ids only) scheduled by a service, e.g. a push batch due at
 * the end of its window. One file per job in src/jobs/, like the jobs of the registry.
 */
export interface DataJobModule<DATA> {
  name: string;
  description: string;
  /** Does the work for `data`; idempotent, as a crashed run is run again. */
  handle(deps: JobDeps, data: DATA): Promise<void>;
}
