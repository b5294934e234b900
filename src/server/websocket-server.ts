import type http from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { makeServer, type Context as WsContext } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Viewer } from '../auth/viewer';
import type { Config } from '../config';
import { createContext } from '../context';
import type { ReadRouting } from '../db/read-routing';
import { ErrorCode, type DomainError } from '../errors';
import { takeCommitted } from '../observability/delivery-latency';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { ConnectionPresenceTracker } from '../realtime/presence-tracker';
import { SubscriberTooSlowError } from '../realtime/subscription-queue';
import type { Services } from '../services/services';
import { RealtimeCloseCode } from './close-codes';
import { createErrorFormatter } from './format-error';
import { SocketSessions } from './socket-sessions';
import { costLimitError } from './query-cost';
import { operationLimitError } from './operation-limits';
import { SharedSubscriptions } from './shared-subscriptions';
import { SocketMessageLimiter } from './socket-limits';
import { abuseLimitRules } from './validation-rules';
import { attachGraphqlWs, type MessageGate, type WsExtra } from './ws-adapter';

/** After a 4008 close, how long a client gets to read what is buffered before the socket is destroyed. */
const SLOW_CONSUMER_CLOSE_GRACE_MS = 5000;
/** On shutdown, sockets that have not finished their close handshake by then are destroyed. */
const DISPOSE_GRACE_MS = 5000;

/** What the WebSocket endpoint is built from (all owned by the caller). */
export interface WebSocketServerDeps {
  httpServer: http.Server;
  schema: GraphQLSchema;
  services: Services;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  presence: ConnectionPresenceTracker;
  /** Verifies an `Authorization` value and provisions the user (the same as over HTTP). */
  authenticate(authorization: string | null): Promise<{ viewer: Viewer | null; authError: DomainError | null }>;
}

/** The graphql-ws endpoint; `dispose()` closes every socket (1001) and stops accepting. */
export interface RealtimeServer {
  readonly wss: WebSocketServer;
  dispose(): Promise<void>;
}

type ConnectionParams = { authorization?: unknown };
type Ctx = WsContext<ConnectionParams, WsExtra>;

/**
 * graphql-ws on the HTTP server's `/graphql` path: the `graphql-transport-ws` protocol with
 * the contract's authentication (4401), the same validation rules as HTTP, the error codes of
 * the contract, caps on payload size, subscriptions per socket, sockets per user and unsent
 * bytes per socket (4008), and presence for every authenticated socket.
 */
export function createWebSocketServer(deps: WebSocketServerDeps): RealtimeServer {
  const { config, logger, metrics, schema } = deps;
  const limits = config.realtime.ws;
  // noServer: attached to the HTTP server's upgrades only. With `server`, ws re-emits every
  // HTTP server error (a taken port at listen) as its own, which graphql-ws reports as an
  // "Internal error emitted on the WebSocket server"; listen() should reject with it instead.
  const wss = new WebSocketServer({
    noServer: true,
    path: '/graphql',
    // Compression costs memory per socket and opens compression-ratio attacks; messages are small.
    perMessageDeflate: false,
    maxPayload: limits.maxPayloadBytes,
  });
  // handleUpgrade answers 400 to other paths, as ws does in `server` mode.
  deps.httpServer.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  const sessions = new SocketSessions({ presence: deps.presence, logger, maxSocketsPerUser: limits.maxSocketsPerUser });
  const formatError = createErrorFormatter(logger, config.isProduction);
  const rules = [...specifiedRules, ...abuseLimitRules(), ...(config.isProduction ? [NoSchemaIntrospectionCustomRule] : [])];
  const session = (ctx: Ctx) => sessions.get(ctx.extra.socket)!;
  const messageLimiter = new SocketMessageLimiter(config.abuse.wsMessagesPerSecond, logger, (socket) => sessions.get(socket)?.id);

  const closeSlowConsumer = (socket: WebSocket, reason: 'buffer' | 'queue') => {
    const state = sessions.get(socket);
    if (!state || state.closedAsSlow) return;
    state.closedAsSlow = true;
    metrics.slowConsumerDisconnects.inc();
    logger.warn({ socketId: state.id, userId: state.userId, reason, bufferedBytes: socket.bufferedAmount }, 'closing slow consumer');
    socket.close(RealtimeCloseCode.SlowConsumer, 'Slow consumer');
    setTimeout(() => socket.terminate(), SLOW_CONSUMER_CLOSE_GRACE_MS).unref();
  };

  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => stripSuggestions(formatError(error.toJSON(), error), config.isProduction));

  /** Per-message hooks go here (see MessageGate): the socket message rate limit (4429) first. */
  const messageGates: MessageGate[] = [messageLimiter.allow];

  const server = makeServer<ConnectionParams, WsExtra>(
    {
      schema,
      subscribe: new SharedSubscriptions({ maxPerUser: limits.maxSubscriptionsPerUser }).subscribe,
      connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const state = session(ctx);
        const authorization = ctx.connectionParams?.authorization;
        let result: Awaited<ReturnType<WebSocketServerDeps['authenticate']>>;
        try {
          result = await deps.authenticate(typeof authorization === 'string' ? authorization : null);
        } catch (error) {
          logger.error({ err: error, socketId: state.id }, 'WebSocket authentication failed');
          ctx.extra.socket.close(RealtimeCloseCode.InternalError, 'Internal server error');
          return false;
        }
        if (!result.viewer) {
          logger.info({ socketId: state.id, reason: result.authError?.message }, 'WebSocket refused: unauthenticated');
          ctx.extra.socket.close(RealtimeCloseCode.Unauthorized, result.authError?.message ?? 'Unauthorized');
          return false;
        }
        const refused = sessions.admit(state, result.viewer);
        if (refused !== null) {
          logger.warn({ socketId: state.id, userId: result.viewer.id, code: refused }, 'WebSocket refused: too many connections');
          ctx.extra.socket.close(refused, 'Too many connections');
          return false;
        }
        logger.info({ socketId: state.id, userId: result.viewer.id, kind: result.viewer.kind }, 'WebSocket connected');
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerSocket) {
          const message = `At most ${limits.maxSubscriptionsPerSocket} operations may run at once on one connection`;
          return [
            new GraphQLError(message, {
              extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'TOO_MANY_OPERATIONS', limit: limits.maxSubscriptionsPerSocket },
            }),
          ];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: config.limits.maxTokens });
        } catch (error) {
          return [requestError(error instanceof Error ? error.message : 'Syntax error', 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return errors.map((error) => requestError(error.message, 'GRAPHQL_VALIDATION_FAILED', error));
        const tooCostly = costLimitError(schema, document, payload.variables ?? undefined, payload.operationName, false);
        if (tooCostly) return [tooCostly];
        const limited = await operationLimitError(deps.services.deps.operationLimits, session(ctx).viewer, document, payload.operationName);
        if (limited) return [limited];
        const writer = readAfterWriteUser(deps.services.deps.reads, session(ctx).viewer, document, payload.operationName);
        if (writer) deps.services.deps.reads.noteWriteStarted(writer);
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables ?? undefined };
      },
      context: (ctx, id) => {
        const state = session(ctx);
        return createContext({ services: deps.services, viewer: state.viewer, authError: null, requestId: `${state.id}:${id}`, longLived: true });
      },
      onOperation: (ctx, id, payload, args, result) => {
        if (!isAsyncIterable(result)) {
          // A query or mutation has run: a mutation's writes are committed now.
          const writer = readAfterWriteUser(deps.services.deps.reads, session(ctx).viewer, args.document, args.operationName);
          if (writer) deps.services.deps.reads.noteWrite(writer);
          return;
        }
        const kind = rootField(args);
        session(ctx).subscriptions.set(id, kind);
        metrics.activeSubscriptions.inc({ kind });
        logger.debug({ socketId: session(ctx).id, operationId: id, kind }, 'subscription started');
      },
      onNext: (ctx, _id, _payload, args, result) => {
        const committedAt = args.contextValue ? takeCommitted(args.contextValue as object) : undefined;
        if (committedAt !== undefined) metrics.deliveryLatency.observe(Math.max(0, Date.now() - committedAt) / 1000);
        const { errors, ...rest } = result as ExecutionResult;
        if (!errors || errors.length === 0) return;
        return { ...rest, errors: format(errors) };
      },
      onError: (ctx, _id, _payload, errors) => {
        if (errors.some((error) => error.originalError instanceof SubscriberTooSlowError)) {
          closeSlowConsumer(ctx.extra.socket, 'queue');
        }
        return format(errors);
      },
      onComplete: (ctx, id) => {
        const state = session(ctx);
        const kind = state.subscriptions.get(id);
        if (kind === undefined) return;
        state.subscriptions.delete(id);
        metrics.activeSubscriptions.dec({ kind });
      },
      onClose: async (ctx, code) => {
        const state = session(ctx);
        logger.info({ socketId: state.id, userId: state.viewer?.id, code }, 'WebSocket closed');
        await sessions.close(state);
      },
    },
  );
  const adapter = attachGraphqlWs(wss, server, {
    keepAliveMs: limits.keepAliveMs,
    maxBufferedBytes: limits.maxBufferedBytes,
    messageGates,
    onOpen(socket) {
      sessions.open(socket);
      metrics.openSockets.inc();
      socket.once('close', () => metrics.openSockets.dec());
      messageLimiter.watchPings(socket);
    },
    onSlowConsumer: (socket) => closeSlowConsumer(socket, 'buffer'),
    onError(socket, error, source) {
      const socketId = sessions.get(socket)?.id;
      if (source === 'socket') logger.warn({ err: error, socketId }, 'WebSocket error');
      else logger.error({ err: error, socketId }, 'WebSocket handler failed');
    },
  });

  return {
    wss,
    async dispose() {
      const force = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, DISPOSE_GRACE_MS);
      force.unref();
      try {
        await adapter.dispose();
      } finally {
        clearTimeout(force);
      }
    },
  };
}

/** Apollo plugin that closes the WebSocket endpoint when Apollo drains (graceful shutdown). */
export function drainWebSocketsPlugin(server: RealtimeServer): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async drainServer() {
          await server.dispose();
        },
      };
    },
  };
}

/** A request-level error with Apollo's code, which the formatter maps to BAD_USER_INPUT. */
function requestError(message: string, code: string, source?: GraphQLError): GraphQLError {
  return new GraphQLError(message, { nodes: source?.nodes, extensions: { ...source?.extensions, code } });
}

/** Production hides schema details from errors, as Apollo's `hideSchemaDetailsFromClientErrors` does over HTTP. */
function stripSuggestions(error: GraphQLFormattedError, isProduction: boolean): GraphQLFormattedError {
  if (!isProduction) return error;
  return { ...error, message: error.message.replace(/ ?Did you mean .+\?$/, '') };
}

/** The user whose reads a mutation keeps on the primary (db/read-routing.ts); null without a read replica. */
function readAfterWriteUser(reads: ReadRouting, viewer: Viewer | null, document: DocumentNode, operationName: string | null | undefined): string | null {
  if (!reads.enabled || viewer?.kind !== 'user') return null;
  return getOperationAST(document, operationName ?? undefined)?.operation === 'mutation' ? viewer.id : null;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** The subscription's root field (validation allows exactly one), as the metric label. */
function rootField(args: ExecutionArgs): string {
  const operation = getOperationAST(args.document, args.operationName);
  const selection = operation?.selectionSet.selections[0];
  return selection?.kind === 'Field' ? selection.name.value : 'unknown';
}
