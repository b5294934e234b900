import 'reflect-metadata';
import { startService } from './bootstrap';
import { loadConfig } from './config';
import { createLogger } from './observability/logger';
import { logUnhandledRejections } from './observability/unhandled-rejections';
import { startBanner, startUrls } from './start-banner';
import { stopOnSignals } from './stop-on-signals';

/** Process entry: config, start, and a graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { pretty: config.logFormat === 'pretty' });
  logUnhandledRejections(logger);
  const service = await startService(config, { logger });
  const banner = {
    port: service.port,
    isProduction: config.isProduction,
    graphiqlPath: service.app.graphiqlPath,
    webAppPath: service.app.webAppPath,
    embeddedClusterDir: service.embeddedClusterDir,
    redis: Boolean(config.redisUrl),
  };
  // A person reads the banner; a log pipeline gets the same facts as fields of one JSON line.
  if (config.logFormat === 'pretty') logger.info(startBanner(banner));
  else logger.info({ ...banner, urls: startUrls(banner) }, 'messaging service listening');

  stopOnSignals({ logger, stopping: 'no new connections, finishing in-flight requests', stop: () => service.stop(), forceExitAfterMs: 25_000 });
}

main().catch((error: unknown) => {
  // The logger may not exist yet: a config error must still reach the operator.
  process.stderr.write(`failed to start: ${startFailure(error)}\n`);
  process.exit(1);
});

/** The reason a start failed, in words the operator can act on; a stack for the unexpected. */
function startFailure(error: unknown): string {
  const listenError = error as NodeJS.ErrnoException & { port?: number };
  if (listenError?.syscall === 'listen' && listenError.code === 'EADDRINUSE') {
    return `port ${listenError.port ?? process.env.PORT ?? 4000} is in use: set PORT to a free one (or stop what listens there)`;
  }
  if (listenError?.syscall === 'listen' && listenError.code === 'EACCES') {
    return `port ${listenError.port} needs privileges: set PORT above 1023`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
