import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError, ErrorCode } from '../errors';
import type { Logger } from '../observability/logger';

const CONTRACT_CODES = new Set<string>(Object.values(ErrorCode));
/** Apollo's own request-level codes, which the contract calls BAD_USER_INPUT. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * Gives every error a code of the contract. Unknown errors are logged with their details and
 * reach the client as INTERNAL_SERVER_ERROR, without internals in production.
 */
export function createErrorFormatter(logger: Logger, isProduction: boolean) {
  const format = formatter(logger, isProduction);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    // One place for every transport: production names no schema element in a suggestion
    // (variable coercion errors carry them too, which Apollo's own hiding misses).
    return isProduction ? { ...result, message: withoutSuggestions(result.message) } : result;
  };
}

function formatter(logger: Logger, isProduction: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: { ...original.extensions, code: original.code } };
    }
    const code = String(formatted.extensions?.code ?? '');
    if (CONTRACT_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      return withoutStack(formatted, isProduction);
    }
    if (REQUEST_ERROR_CODES.has(code)) {
      return withoutStack({ ...formatted, message: plainMessage(formatted.message), extensions: { ...formatted.extensions, code: ErrorCode.BAD_USER_INPUT, reason: code } }, isProduction);
    }
    if (isRequestError(error)) {
      // graphql-js's own errors about the request (bad variables over WebSocket, where Apollo
      // does not label them): the client's fault, not an unexpected one.
      return withoutStack({ message: plainMessage(formatted.message), locations: formatted.locations, extensions: { code: ErrorCode.BAD_USER_INPUT } }, isProduction);
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return {
      // Never the driver's message: it carries SQL and parameters (message bodies).
      message: isProduction || isDriverError(original) ? 'Internal server error' : formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/**
 * Errors graphql-js raises about the request itself (variable coercion: its cause, if any, is
 * graphql-js's own error too): no path, so not a field's failure, and no code of their own.
 */
function isRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || (error.path?.length ?? 0) > 0 || error.extensions?.code !== undefined) return false;
  return !error.originalError || error.originalError instanceof GraphQLError;
}

/** A stack overflow while parsing or validating is the document's depth, said plainly. */
function plainMessage(message: string): string {
  return /Maximum call stack size exceeded/i.test(message) ? 'The document is nested too deeply' : message;
}

function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean .+\?$/s, '');
}

function withoutStack(formatted: GraphQLFormattedError, isProduction: boolean): GraphQLFormattedError {
  if (!isProduction || !formatted.extensions) return formatted;
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}

function isDriverError(error: unknown): boolean {
  return error instanceof Error && (typeof (error as { code?: unknown }).code === 'string' || /DriverException|QueryFailed/.test(error.name));
}
