import pino from 'pino';

/**
 * The service's structured logger. Tokens, cookies and message bodies never reach a log line:
 * the redaction paths cover the places they could appear.
 */
export function createLogger(level: string): pino.Logger {
  return pino({
    level,
    base: { service: 'messaging' },
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
