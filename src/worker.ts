import 'reflect-metadata';
import { loadConfig } from './config';
import { openJobRuntime } from './jobs/job-runtime';
import { createLogger } from './observability/logger';
import { logUnhandledRejections } from './observability/unhandled-rejections';
import { stopOnSignals } from './stop-on-signals';

/**
 * `npm run worker`: runs the scheduled jobs (Agenda) without serving the API, for deployments
 * that set JOBS_IN_PROCESS=false on the API instances. Any number of workers (and API instances
 * with jobs in process) may run together: each due job runs once. SIGTERM/SIGINT drain the
 * running jobs, then exit.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { pretty: config.logFormat === 'pretty' });
  logUnhandledRejections(logger);
  const runtime = await openJobRuntime(config, logger);
  await runtime.scheduler.start(runtime.deps);
  logger.info({ redis: Boolean(config.redisUrl), embeddedDatabase: !config.databaseUrl }, 'job worker running');

  stopOnSignals({ logger, stopping: 'finishing running jobs', stop: () => runtime.close(), forceExitAfterMs: config.jobs.drainTimeoutMs + 10_000 });
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
