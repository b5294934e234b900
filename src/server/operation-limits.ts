import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, getOperationAST, type DocumentNode } from 'graphql';
import type { Viewer } from '../auth/viewer';
import type { Context } from '../context';
import { DomainError, ErrorCode } from '../errors';
import type { OperationClass, OperationLimits } from '../services/operation-limits';

/**
 * Mutations outside the `write` class: sends have the contract's own rolling-hour limit, taken
 * in the same Redis command as their idempotency claim (docs/performance.md: a send's round
 * trips are counted), so a second limit would add a round trip and protect nothing more.
 */
const OWN_LIMIT_FIELDS = new Set(['sendMessage', 'sendImageMessage']);

/** Root fields with a limit of their own, on top of their operation's read/write limit. */
const ROOT_FIELD_CLASSES: Record<string, OperationClass> = {
  startConversation: 'conversationStart',
  archiveConversation: 'fanout',
  unarchiveConversation: 'fanout',
  setTyping: 'typing',
  registerPushDevice: 'deviceRegistration',
};

/**
 * The per-user limits of one operation, before it runs: `read` for queries and subscriptions,
 * `write` for mutations, plus the class of each limited root field. Shared by HTTP (the plugin
 * below) and WebSocket (graphql-ws `onSubscribe`). Service tokens (the jobs backend) and
 * anonymous requests (refused by the resolvers anyway) are not counted per user.
 */
export async function operationLimitError(limits: OperationLimits, viewer: Viewer | null, document: DocumentNode, operationName?: string | null): Promise<GraphQLError | null> {
  if (viewer?.kind !== 'user') return null;
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return null;
  const fields = operation.selectionSet.selections.map((selection) => (selection.kind === 'Field' ? selection.name.value : ''));
  const ownLimitOnly = operation.operation === 'mutation' && fields.every((field) => OWN_LIMIT_FIELDS.has(field));
  const classes: OperationClass[] = ownLimitOnly ? [] : [operation.operation === 'mutation' ? 'write' : 'read'];
  for (const selection of operation.selectionSet.selections) {
    const limited = selection.kind === 'Field' ? ROOT_FIELD_CLASSES[selection.name.value] : undefined;
    if (limited && !classes.includes(limited)) classes.push(limited);
  }
  try {
    for (const operationClass of classes) await limits.consume(operationClass, viewer.id);
    return null;
  } catch (error) {
    if (error instanceof DomainError && error.code === ErrorCode.RATE_LIMITED) return rateLimitedError(error);
    throw error;
  }
}

/** The GraphQL form of a RATE_LIMITED DomainError. */
export function rateLimitedError(error: DomainError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, code: ErrorCode.RATE_LIMITED } });
}

/**
 * Apollo plugin: refuses an operation over one of the viewer's limits with RATE_LIMITED, and
 * runs at most `maxConcurrentPerUser` HTTP operations of one user at once on this instance (50
 * concurrent requests of one token used to slow every other user to seconds; a rate per minute
 * alone does not stop a burst).
 */
export function operationLimitsPlugin(limits: OperationLimits, maxConcurrentPerUser: number): ApolloServerPlugin<Context> {
  const running = new Map<string, number>();
  const release = (userId: string) => {
    const left = (running.get(userId) ?? 1) - 1;
    if (left > 0) running.set(userId, left);
    else running.delete(userId);
  };
  return {
    async requestDidStart() {
      let holder: string | null = null;
      return {
        async didResolveOperation({ contextValue, document, operationName }) {
          const viewer = contextValue.viewer;
          if (viewer?.kind === 'user') {
            const now = running.get(viewer.id) ?? 0;
            if (now >= maxConcurrentPerUser) {
              throw new GraphQLError(`At most ${maxConcurrentPerUser} requests of one user may run at once`, {
                extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: 1, limit: 'concurrency', http: { status: 429, headers: new Map([['retry-after', '1']]) } },
              });
            }
            running.set(viewer.id, now + 1);
            holder = viewer.id;
          }
          const error = await operationLimitError(limits, contextValue.viewer, document, operationName);
          if (!error) return;
          // Over HTTP: 429 with Retry-After (Apollo reads and removes `extensions.http`).
          const retryAfter = String(error.extensions.retryAfterSeconds);
          throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 429, headers: new Map([['retry-after', retryAfter]]) } } });
        },
        async willSendResponse() {
          if (holder !== null) release(holder);
          holder = null;
        },
      };
    },
  };
}
