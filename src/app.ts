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
import { DomainError, unauthenticated } from './errors';
import { createSchema } from './schema/build-schema';
import { createErrorFormatter } from './server/format-error';
import { GRAPHIQL_PATH, graphiqlRouter } from './server/graphiql.router';
import { bodyErrorHandler, operationalRoutes } from './server/http-routes';
import { InFlightRequests } from './server/in-flight';
import { withGraphiQLLink } from './server/landing-page';
import { observabilityPlugin } from './server/observability-plugin';
import type { ConnectionPresenceTracker } from './realtime/presence-tracker';
import { graphqlUploads } from './server/upload-middleware';
import { costLimitPlugin } from './server/query-cost';
import { abuseLimitRules } from './server/validation-rules';
import { createWebSocketServer, drainWebSocketsPlugin } from './server/websocket-server';
import type { ServiceDeps } from './services/service-deps';
import { createServices, type Services } from './services/services';
import { localFilesRouter } from './storage/local-files.router';
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
  const httpServer = http.createServer();
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
    formatError: createErrorFormatter(logger, config.isProduction),
    plugins: [
      // No HTTP caching of per-viewer data; without it Apollo instruments every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      costLimitPlugin(),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 10_000 }),
      config.isProduction
        ? ApolloServerPluginLandingPageDisabled()
        : graphiql
          ? withGraphiQLLink(ApolloServerPluginLandingPageLocalDefault({ embed: true }), GRAPHIQL_PATH)
          : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      observabilityPlugin(deps.metrics, logger),
      // Closes every WebSocket (1001) while Apollo drains, before the pools go away.
      drainWebSocketsPlugin(realtime),
    ],
  });
  await apollo.start();

  const authenticate = async (authorization: string | undefined | null) => {
    if (!authorization) return { viewer: null, authError: unauthenticated() };
    try {
      const viewer = await deps.tokenVerifier.verifyHeader(authorization);
      if (viewer.kind === 'user') await services.users.provision(viewer);
      return { viewer, authError: null };
    } catch (error) {
      if (error instanceof DomainError) return { viewer: null, authError: error };
      throw error;
    }
  };

  const inFlight = new InFlightRequests();
  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are per viewer and per request: an ETag (a hash of every body) buys nothing.
  app.set('etag', false);
  app.set('trust proxy', true);
  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });
  app.use(operationalRoutes(deps.orm, deps.pubsub, deps.metrics, () => services.imageStorage.isHealthy()));
  // Embedded storage: the service itself serves the objects under signed, expiring URLs.
  if (deps.storage instanceof LocalObjectStorage) app.use(localFilesRouter(deps.storage));
  if (graphiql) app.use(graphiql);
  app.use(
    '/graphql',
    inFlight.middleware,
    cors({ origin: config.corsOrigins === '*' ? '*' : config.corsOrigins, maxAge: 600 }),
    graphqlUploads({ maxFileBytes: config.limits.maxUploadBytes, maxFieldBytes: config.limits.maxBodyBytes }),
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const { viewer, authError } = await authenticate(req.headers.authorization);
        return createContext(services, viewer, authError, String(res.locals.requestId));
      },
    }),
  );
  app.use(bodyErrorHandler(logger));
  httpServer.on('request', app);

  return {
    httpServer,
    services,
    graphiqlPath: graphiql ? GRAPHIQL_PATH : undefined,
    authenticate,
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    close: async () => {
      // From now on new requests (even on open keep-alive sockets) get 503; running ones finish
      // before the pools they use are closed.
      const requestsDone = inFlight.drain(10_000);
      await apollo.stop();
      await requestsDone;
      await services.typing.close();
      await services.notifications.close();
    },
  };
}

export type { Config };
