import type { Logger } from './logger';

/**
 * Logs a promise rejection nobody handled instead of letting Node end the process (its default
 * since Node 15). Such a rejection is a bug, and it gets a test; but one failed background
 * promise, e.g. a Redis command during an outage, must not take down every instance of the
 * fleet in turn. Answers the removal of the handler (tests).
 */
export function logUnhandledRejections(logger: Logger): () => void {
  const handler = (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled promise rejection (a bug: the process keeps running)');
  };
  process.on('unhandledRejection', handler);
  return () => process.off('unhandledRejection', handler);
}
