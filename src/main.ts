import 'reflect-metadata';
import { startService } from './bootstrap';
import { loadConfig } from './config';
import { createLogger } from './observability/logger';
import { stopOnSignals } from './stop-on-signals';

/** Process entry: config, start, and a graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const service = await startService(config, { logger });
  const base = `http://localhost:${service.port}`;
  logger.info({ port: service.port, embeddedDatabase: !config.databaseUrl, redis: Boolean(config.redisUrl) }, 'messaging service listening');
  if (!config.isProduction) {
    logger.info(
      `Apollo Sandbox: ${base}/graphql  |  token: npm run token -- --name Ana  (send it as "Authorization: Bearer <token>")`,
    );
  }

  stopOnSignals({ logger, stopping: 'no new connections, finishing in-flight requests', stop: () => service.stop(), forceExitAfterMs: 25_000 });
}

main().catch((error: unknown) => {
  // The logger may not exist yet: a config error must still reach the operator.
  process.stderr.write(`failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
