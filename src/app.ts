import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import cors from 'cors';
import express from 'express';
import type { TokenVerifier } from './auth/token-verifier';
import type { Viewer } from './auth/viewer';
import type { Config } from './config';
import { createContext, type Context } from './context';
import { DomainError, ErrorCode, unauthenticated } from './errors';
import { createSchema } from './schema/build-schema';
import { createErrorFormatter } from './server/format-error';
import { GRAPHIQL_PATH, graphiqlRouter } from './server/graphiql.router';
import { bodyErrorHandler, operationalRoutes } from './server/http-routes';
import { InFlightRequests } from './server/in-flight';
import { withGraphiQLLink } from './server/landing-page';
import { createMetricsServer, metricsAccess } from './server/metrics-server';
import { observabilityPlugin } from './server/observability-plugin';
import type { ConnectionPresenceTracker } from './realtime/presence-tracker';
import { graphqlUploads } from './server/upload-middleware';
import { costLimitPlugin } from './server/query-cost';
import { httpServerOptions, limitConnections } from './server/connection-limits';
import { operationLimitsPlugin } from './server/operation-limits';
import { readAfterWritePlugin } from './server/read-after-write';
import { abuseLimitRules } from './server/validation-rules';
import { createWebSocketServer, drainWebSocketsPlugin } from './server/websocket-server';
import { WEB_APP_PATH, webAppRouter } from './server/web-app.router';
import type { ServiceDeps } from './services/service-deps';
import { createServices, type Services } from './services/services';
import { localFilesRouter } from './storage/local-files.router';
import { unsubscribeRouter } from './server/unsubscribe.router';
import { LocalObjectStorage } from './storage/local-storage';

export interface AppDeps extends ServiceDeps {
  tokenVerifier: TokenVerifier;
  /** Fed by the WebSocket endpoint: connect on each authenticated socket, disconnect on close. */
  presence: ConnectionPresenceTracker;
}

export interface App {
  httpServer: http.Server;
  services: Services;
  /** Path of the local GraphiQL; undefined in production or without the dev dependencies. */
  graphiqlPath?: string;
  /** Path of the reference web client; undefined when disabled or not built. */
  webAppPath?: string;
  /** Resolves the viewer of an Authorization header value; used by HTTP and WebSocket alike. */
  authenticate(authorization: string | undefined | null): Promise<{ viewer: Viewer | null; authError: DomainError | null }>;
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, lets in-flight requests finish, then returns (pools are the caller's). */
  close(): Promise<void>;
}

/** One http.Server: Express with Apollo Server on /graphql, and the operational routes. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { config, logger } = deps;
  const services = createServices(deps);
  const schema = await createSchema();
  const httpServer = http.createServer(httpServerOptions(config.abuse));
  limitConnections(httpServer, { maxPerIp: config.abuse.maxConnectionsPerIp, logger });
  // Development only: production serves no IDE (and has no dev dependencies to serve it from).
  const graphiql = config.isProduction ? undefined : graphiqlRouter();
  // `authenticate` (below) is only called once sockets connect, after createApp has returned.
  const realtime = createWebSocketServer({
    httpServer,
    schema,
    services,
    config,
    logger,
    metrics: deps.metrics,
    presence: deps.presence,
    authenticate: (authorization) => authenticate(authorization),
  });

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !config.isProduction,
    includeStacktraceInErrorResponses: !config.isProduction,
    hideSchemaDetailsFromClientErrors: config.isProduction,
    csrfPrevention: true,
    // main.ts owns the signals and stops every part in order; Apollo must not re-raise them.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    validationRules: abuseLimitRules(),
    parseOptions: { maxTokens: config.limits.maxTokens },
    formatError: createErrorFormatter(logger, config.isProduction),
    plugins: [
      // No HTTP caching of per-viewer data; without it Apollo instruments every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      costLimitPlugin(),
      operationLimitsPlugin(deps.operationLimits, config.abuse.maxConcurrentRequestsPerUser),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 10_000 }),
      config.isProduction
        ? ApolloServerPluginLandingPageDisabled()
        : graphiql
          ? withGraphiQLLink(ApolloServerPluginLandingPageLocalDefault({ embed: true }), GRAPHIQL_PATH)
          : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      observabilityPlugin(deps.metrics, logger),
      // Closes every WebSocket (1001) while Apollo drains, before the pools go away.
      drainWebSocketsPlugin(realtime),
      // Only with a read replica: without one a mutation notes nothing (no cost on the send path).
      ...(deps.reads.enabled ? [readAfterWritePlugin(deps.reads)] : []),
    ],
  });
  await apollo.start();

  // Failed token checks count per client address (when known): past the limit, a failed check
  // answers RATE_LIMITED. Counted after the check, so a valid token costs no Redis round trip.
  const authenticate = async (authorization: string | undefined | null, clientAddress?: string) => {
    if (!authorization) return { viewer: null, authError: unauthenticated() };
    try {
      const viewer = await deps.tokenVerifier.verifyHeader(authorization);
      if (viewer.kind === 'user') await services.users.provision(viewer);
      return { viewer, authError: null };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (clientAddress && error.code === ErrorCode.UNAUTHENTICATED) {
        const limited = await deps.operationLimits.consume('failedLogin', clientAddress).then(() => null, (refused: unknown) => refused);
        if (limited instanceof DomainError) return { viewer: null, authError: limited };
      }
      return { viewer: null, authError: error };
    }
  };

  const inFlight = new InFlightRequests();
  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are per viewer and per request: an ETag (a hash of every body) buys nothing.
  app.set('etag', false);
  // Off unless configured: with `true`, any client could forge X-Forwarded-For and pick its address.
  app.set('trust proxy', config.abuse.trustProxy);
  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });
  app.use(operationalRoutes(deps.orm, deps.pubsub, deps.metrics, metricsAccess(config.abuse, config.isProduction, logger), () => services.imageStorage.isHealthy()));
  const metricsServer = config.abuse.metricsPort > 0 ? createMetricsServer(deps.metrics, config.abuse.metricsToken) : null;
  // Embedded storage: the service itself serves the objects under signed, expiring URLs.
  if (deps.storage instanceof LocalObjectStorage) app.use(localFilesRouter(deps.storage));
  app.use(unsubscribeRouter(services.unsubscribe));
  if (graphiql) app.use(graphiql);
  const webApp = config.webApp.enabled ? webAppRouter(config.webApp.dir) : undefined;
  if (webApp) app.use(webApp);
  else if (config.webApp.enabled) logger.warn({ dir: config.webApp.dir }, 'web app enabled but not built: run `npm run build:web`');
  app.use(
    '/graphql',
    inFlight.middleware,
    cors({ origin: config.corsOrigins === '*' ? '*' : config.corsOrigins, maxAge: 600 }),
    graphqlUploads({ maxFileBytes: config.limits.maxUploadBytes, maxFieldBytes: config.limits.maxBodyBytes }),
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const { viewer, authError } = await authenticate(req.headers.authorization, req.ip);
        return createContext({ services, viewer, authError, requestId: String(res.locals.requestId) });
      },
    }),
  );
  app.use(bodyErrorHandler(logger));
  httpServer.on('request', app);

  return {
    httpServer,
    services,
    graphiqlPath: graphiql ? GRAPHIQL_PATH : undefined,
    webAppPath: webApp ? WEB_APP_PATH : undefined,
    authenticate,
    listen: async (port, host = '0.0.0.0') => {
      const bound = await new Promise<number>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      });
      if (metricsServer) await metricsServer.listen(config.abuse.metricsPort, host);
      return bound;
    },
    close: async () => {
      // From now on new requests (even on open keep-alive sockets) get 503; running ones finish
      // before the pools they use are closed.
      const requestsDone = inFlight.drain(config.shutdownDrainMs);
      await apollo.stop();
      await requestsDone;
      await metricsServer?.close();
      await services.typing.close();
      await services.notifications.close();
    },
  };
}

export type { Config };
