import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { processRequest } from 'graphql-upload-minimal';
import { ErrorCode } from '../errors';

/** Apollo's CSRF rule: a request that a browser sends without preflight must carry one of these. */
export const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'] as const;

const CSRF_MESSAGE =
  'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). ' +
  `A multipart request must carry a non-empty ${PREFLIGHT_HEADERS.join(' or ')} header.`;

/** Room for the multipart framing around the file: part headers and boundaries. */
const FRAMING_BYTES = 64 * 1024;

export interface UploadMiddlewareOptions {
  /**
   * The upload cap. The parser lets one byte more through, so that the reader can tell an
   * oversized file (PAYLOAD_TOO_LARGE) from one of exactly the cap; no more is ever buffered.
   */
  maxFileBytes: number;
  /** Cap of each of the `operations` and `map` fields. */
  maxFieldBytes: number;
}

/**
 * GraphQL multipart requests (one file per request) on /graphql, before Apollo. Other methods
 * and content types pass through untouched (Apollo's own CSRF check covers them). In this order:
 *
 * 1. Apollo's CSRF rule, enforced here because Apollo sees the request only after the body has
 *    been parsed: without a preflight header the request is refused and its body never parsed.
 * 2. A declared Content-Length too large for the cap is refused at once.
 * 3. `processRequest` parses `operations` and `map` and hands the file to the resolver as a
 *    stream, which reads it under the cap (see readUploadWithCap).
 *
 * Once the answer is sent, whatever the resolver did not read is discarded, so the connection
 * stays usable; the rest of the body is never kept.
 */
export function graphqlUploads(options: UploadMiddlewareOptions): RequestHandler {
  const maxRequestBytes = options.maxFileBytes + 2 * options.maxFieldBytes + FRAMING_BYTES;
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || !req.is('multipart/form-data')) return next();
    // Refused before the body is read: answered at once, then the body is read into nothing up
    // to a bound ("lingering close", as nginx does), so that the client, still sending, reads
    // the answer instead of a reset.
    const lingerBytes = 4 * maxRequestBytes;
    if (!PREFLIGHT_HEADERS.some((name) => (req.header(name) ?? '').length > 0)) {
      refuse(res, 400, ErrorCode.BAD_USER_INPUT, CSRF_MESSAGE, { reason: 'CSRF_PREVENTION' });
      return discardRest(req, lingerBytes);
    }
    if (Number(req.header('content-length') ?? 0) > maxRequestBytes) {
      refuse(res, 413, ErrorCode.PAYLOAD_TOO_LARGE, 'Request body too large', { maxBytes: options.maxFileBytes });
      return discardRest(req, lingerBytes);
    }
    res.once('finish', () => discardRest(req, lingerBytes));
    processRequest(req, res, { maxFileSize: options.maxFileBytes + 1, maxFiles: 1, maxFieldSize: options.maxFieldBytes })
      .then((body) => {
        if (Array.isArray(body)) return refuse(res, 400, ErrorCode.BAD_USER_INPUT, 'Batched operations are not supported');
        req.body = body;
        next();
      })
      .catch((error: { status?: number; message?: string }) => {
        if (res.headersSent) return;
        const tooLarge = error.status === 413;
        const message = typeof error.message === 'string' && error.status ? error.message : 'Malformed multipart request';
        refuse(res, tooLarge ? 413 : 400, tooLarge ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_USER_INPUT, message);
      });
  };
}

/** Answers in GraphQL's error shape. */
function refuse(res: Response, status: number, code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): void {
  res.status(status).json({ errors: [{ message, extensions: { ...extensions, code } }] });
}

/**
 * Stops feeding the parser and reads the rest of the body into nothing, up to `maxBytes`; a
 * body longer than that gets its connection destroyed (a client may not make the server read
 * without end). Not closed before: closing with unread data makes the kernel answer the
 * client's next bytes with a reset, and the client never reads the answer.
 */
function discardRest(req: Request, maxBytes: number): void {
  if (req.complete) return;
  req.unpipe();
  let read = 0;
  req.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read > maxBytes) req.socket.destroy();
  });
  req.resume();
}
