import type { Logger } from './observability/logger';

export interface StopOnSignalsOptions {
  logger: Logger;
  /** Logged when a signal arrives, e.g. "no new connections, finishing in-flight requests". */
  stopping: string;
  /** Closes everything the process opened. */
  stop: () => Promise<void>;
  /** After this long the process exits with 1, whatever is still running. */
  forceExitAfterMs: number;
}

/**
 * The one shutdown of a process (`npm start`, `npm run worker`): on SIGTERM or SIGINT, stop once,
 * then exit. Exiting instead of waiting for the event loop to drain matters: Agenda leaves lock
 * watchdog timers behind, and a stuck client must not keep a pod in Terminating.
 */
export function stopOnSignals({ logger, stopping, stop, forceExitAfterMs }: StopOnSignalsOptions): void {
  let started = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    logger.info({ signal }, `shutting down: ${stopping}`);
    const forceExit = setTimeout(() => {
      logger.error({ afterMs: forceExitAfterMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, forceExitAfterMs);
    forceExit.unref();
    await stop();
    logger.info('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(signal));
}
