import 'reflect-metadata';
import { loadConfig } from './config';
import { openJobRuntime } from './jobs/job-runtime';
import { createLogger } from './observability/logger';

/**
 * `npm run worker`: runs the scheduled jobs (Agenda) without serving the API, for deployments
 * that set JOBS_IN_PROCESS=false on the API instances. Any number of workers (and API instances
 * with jobs in process) may run together: each due job runs once. SIGTERM/SIGINT drain the
 * running jobs, then exit.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { pretty: config.logFormat === 'pretty' });
  const runtime = await openJobRuntime(config, logger);
  await runtime.scheduler.start(runtime.deps);
  logger.info({ redis: Boolean(config.redisUrl), embeddedDatabase: !config.databaseUrl }, 'job worker running');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down: finishing running jobs');
    const forceExit = setTimeout(() => {
      logger.error('worker shutdown took too long; exiting');
      process.exit(1);
    }, config.jobs.drainTimeoutMs + 10_000);
    forceExit.unref();
    await runtime.close();
    logger.info('worker stopped');
    // Agenda leaves lock watchdog timers behind: exit rather than wait for them.
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
