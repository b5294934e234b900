/** The error codes of the contract (`extensions.code`). */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  RATE_LIMITED = 'RATE_LIMITED',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/**
 * A failure the caller can act on. Services throw these; they know nothing of GraphQL,
 * and the error formatter (src/server/format-error.ts) is the one place that turns them into
 * `extensions.code`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const unauthenticated = (message = 'A valid bearer token is required') =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'Not allowed for this role') => new DomainError(ErrorCode.FORBIDDEN, message);
export const notFound = (what = 'Conversation') => new DomainError(ErrorCode.NOT_FOUND, `${what} not found`);
export const badInput = (message: string, field?: string) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const rateLimited = (retryAfterSeconds: number) =>
  new DomainError(ErrorCode.RATE_LIMITED, 'Too many messages; try again later', { retryAfterSeconds });
/** A send, typing or start between two users while either blocks the other. */
export const blocked = () => new DomainError(ErrorCode.FORBIDDEN, 'One of you blocks the other', { reason: 'BLOCKED' });
