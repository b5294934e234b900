import { createApp, type App } from './app';
import { TokenVerifier } from './auth/token-verifier';
import { localSigningSecret } from './auth/token-issuer';
import { openParts } from './composition-root';
import type { Config } from './config';
import type { Orm } from './db/orm';
import type { PgSql } from './db/sql';
import type { AgendaScheduler } from './jobs/agenda-scheduler';
import { createLogger, type Logger } from './observability/logger';
import type { Metrics } from './observability/metrics';
import type { PushTransport } from './push/push-transport';
import type { PubSub } from './realtime/pubsub';

/** A running instance of the service and everything it opened, closed in reverse by `stop()`. */
export interface RunningService {
  app: App;
  port: number;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  orm: Orm;
  /** The hot paths' pool (db/sql.ts), beside MikroORM's. */
  sql: PgSql;
  pubsub: PubSub;
  jwtSecret: string | undefined;
  databaseUrl: string;
  /** The embedded PostgreSQL's cluster directory; undefined with DATABASE_URL. */
  embeddedClusterDir?: string;
  /** Agenda: schedules jobs; runs them too unless JOBS_IN_PROCESS=false. */
  jobs: AgendaScheduler;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Listen on this port instead of config.port (0: a free one). */
  port?: number;
  host?: string;
  /** Replaces the push transport of the config (tests: a fake FCM or a recorder); not closed by stop(). */
  push?: PushTransport;
}

/**
 * Starts the service from a config: the database (external or embedded), migrations, pub/sub,
 * rate limits, then the HTTP server. Used by main.ts, the tests and the benchmarks alike, so
 * that they all run the same code.
 */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.logLevel);
  let boundPort = options.port ?? config.port;
  const parts = await openParts({ role: 'api', config, logger, push: options.push, boundPort: () => boundPort });
  try {
    // The secret `npm run token` and `npm run smoke-test` sign with, by the same rule.
    const jwtSecret = await localSigningSecret(config);
    const tokenVerifier = await TokenVerifier.create({ ...config.jwt, secret: jwtSecret });
    const app = await createApp({ ...parts, presence: parts.connectionPresence!, tokenVerifier });
    const port = await app.listen(options.port ?? config.port, options.host);
    boundPort = port;
    parts.onClose('HTTP server', () => app.close());
    // Every instance relays what a crashed (or cut-off) one committed but did not publish.
    parts.outbox.startRelay({ announcer: app.services.announcer, events: app.services.events });
    const { jobQueue: jobs } = parts;
    if (config.jobs.inProcess) await jobs.start({ services: app.services, config, logger });
    else await jobs.publishOnly();
    const { metrics, orm, sql, pubsub, databaseUrl, embeddedClusterDir } = parts;
    return { app, port, config, logger, metrics, orm, sql, pubsub, jwtSecret, databaseUrl, embeddedClusterDir, jobs, stop: parts.close };
  } catch (error) {
    await parts.close();
    throw error;
  }
}
