import pino from 'pino';
import { safeError } from './safe-error';

export interface LoggerOptions {
  /**
   * Human-readable lines through pino-pretty (development). pino-pretty is a dev dependency,
   * absent from a production install: when it cannot be loaded the logger writes JSON instead.
   */
  pretty?: boolean;
}

/**
 * The service's structured logger. Tokens, cookies and message bodies never reach a log line:
 * the redaction paths cover the places they could appear, and errors are logged without
 * their messages (see safe-error.ts).
 */
export function createLogger(level: string, options: LoggerOptions = {}): pino.Logger {
  const settings: pino.LoggerOptions = {
    level,
    base: { service: 'messaging' },
    // Error messages can carry SQL parameters or payload snippets: keep kind, code and stack only.
    serializers: { err: safeError, error: safeError },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'authorization',
        'token',
        'content',
        'caption',
        '*.token',
        '*.content',
        '*.authorization',
        'variables',
      ],
      censor: '[redacted]',
    },
  };
  const pretty = options.pretty ? prettyStream() : undefined;
  return pretty ? pino(settings, pretty) : pino(settings);
}

/**
 * pino-pretty as a synchronous stream in this thread (not a worker transport): the last lines
 * before a `process.exit(1)` at start-up must not be lost.
 */
function prettyStream(): pino.DestinationStream | undefined {
  let build: (options: Record<string, unknown>) => pino.DestinationStream;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    build = require('pino-pretty') as typeof build;
  } catch {
    return undefined;
  }
  return build({ sync: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
}

export type Logger = pino.Logger;
