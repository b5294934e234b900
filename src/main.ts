import 'reflect-metadata';
import { startService } from './bootstrap';
import { loadConfig } from './config';
import { createLogger } from './observability/logger';

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

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const forceExit = setTimeout(() => {
      logger.error('shutdown took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000);
    forceExit.unref();
    await service.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  // The logger may not exist yet: a config error must still reach the operator.
  process.stderr.write(`failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
