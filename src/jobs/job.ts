import type { Config } from '../config';
import type { Logger } from '../observability/logger';
import type { Services } from '../services/services';
import type { JobContext } from './job-context';

/** What a job runs with: the same services the API uses, so jobs hold no logic of their own. */
export interface JobDeps {
  services: Services;
  config: Config;
  logger: Logger;
}

/**
 * A job that can be run by name (`npm run jobs:run -- NAME`) or by a scheduler. Each lives in
 * its own file `src/jobs/<name>.job.ts`, exporting `name`, `description` and `run`.
 */
export interface JobModule {
  /** Kebab-case, the same as the file name without `.job.ts`. */
  name: string;
  /** One line for the list that `jobs:run` prints. */
  description: string;
  /** Does the work once; safe to run again, or on several instances at once. */
  run(deps: JobDeps, context?: JobContext): Promise<void>;
}
