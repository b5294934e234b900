import pino from 'pino';
import { safeError } from './safe-error';

/**
 * The service's structured logger. Tokens, cookies and message bodies never reach a log line:
 * the redaction paths cover the places they could appear, and errors are logged without
 * their messages (see safe-error.ts).
 */
export function createLogger(level: string): pino.Logger {
  return pino({
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
  });
}

export type Logger = pino.Logger;
