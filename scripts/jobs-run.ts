/**
 * Runs one job now and exits: `npm run jobs:run -- NAME`. With an unknown name (or none) it
 * prints the jobs it knows and exits 2. Uses the service's configuration (DATABASE_URL or the
 * embedded database of DATA_DIR, S3_* or DATA_DIR/objects, REDIS_URL).
 */
import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { openJobRuntime } from '../src/jobs/job-runtime';
import { findJob, JOBS } from '../src/jobs/registry';
import { createLogger } from '../src/observability/logger';

function usage(): string {
  const width = Math.max(...JOBS.map((job) => job.name.length));
  return ['usage: npm run jobs:run -- NAME', '', 'jobs:', ...JOBS.map((job) => `  ${job.name.padEnd(width)}  ${job.description}`)].join('\n');
}

async function main(): Promise<number> {
  const name = process.argv[2];
  const job = name ? findJob(name) : undefined;
  if (!job) {
    if (name && name !== '--help' && name !== '-h') console.error(`unknown job "${name}"\n`);
    console.error(usage());
    return name === '--help' || name === '-h' ? 0 : 2;
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { pretty: config.logFormat === 'pretty' });
  const runtime = await openJobRuntime(config, logger);
  const started = Date.now();
  try {
    await job.run(runtime.deps);
    logger.info({ job: job.name, ms: Date.now() - started }, 'job finished');
    return 0;
  } catch (err) {
    logger.error({ err, job: job.name }, 'job failed');
    return 1;
  } finally {
    await runtime.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`jobs:run failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
