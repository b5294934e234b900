import { Client } from 'pg';
import type { DatabaseConfig } from '../config';

/**
 * Where each kind of connection goes (docs/scaling.md "Connections"):
 *
 * - `url` (DATABASE_URL, may be PgBouncer in transaction mode): every request's statements,
 *   MikroORM's and the hot-path pool's, the outbox relay (single statements and transactions,
 *   no session state);
 * - `directUrl` (DATABASE_DIRECT_URL, default DATABASE_URL): what holds session state:
 *   migrations, the job scheduler's pool and its LISTEN connection.
 */
export interface DatabaseTargets {
  url: string;
  directUrl: string;
  /** Named prepared statements on the hot paths of `url`. */
  preparedStatements: boolean;
  /** `url` accepts `statement_timeout` as a startup parameter (a direct PostgreSQL does; PgBouncer does not). */
  serverTimeouts: boolean;
}

/**
 * Resolves the targets for `url` (DATABASE_URL or the embedded server's). A URL that refuses
 * the `statement_timeout` startup parameter is a pooler (PgBouncer answers "unsupported startup
 * parameter"): its connections then go without it and, unless DATABASE_PREPARED_STATEMENTS says
 * otherwise, without named prepared statements, so that DATABASE_URL may point at PgBouncer
 * even without DATABASE_DIRECT_URL.
 */
export async function resolveDatabaseTargets(database: DatabaseConfig, url: string, embedded: boolean): Promise<DatabaseTargets> {
  const directUrl = embedded ? url : (database.directUrl ?? url);
  const knownPooled = directUrl !== url;
  // A DATABASE_DIRECT_URL of its own says DATABASE_URL is a pooler: no probe to warn in its log.
  const serverTimeouts = knownPooled ? false : await acceptsStartupTimeout(url);
  const pooled = knownPooled || !serverTimeouts;
  const preparedStatements = database.preparedStatementsExplicit ? database.preparedStatements : database.preparedStatements && !pooled;
  return { url, directUrl, preparedStatements, serverTimeouts };
}

/**
 * One connection with `statement_timeout` as a startup parameter. Refused by name: a pooler.
 * Any other failure (the server is down) says nothing about poolers, so it counts as direct and
 * the pools report the outage as they always do.
 */
export async function acceptsStartupTimeout(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, statement_timeout: 1000, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch (error) {
    return !(error instanceof Error && /unsupported startup parameter/i.test(error.message));
  } finally {
    await client.end().catch(() => {});
  }
}
