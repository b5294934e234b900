/**
 * The pg client options that bound a statement to `statementTimeoutMs`, whatever the server
 * does: PostgreSQL's own `statement_timeout`, and a client-side `query_timeout` a second later
 * for a server that answers nothing (frozen, or a dead network path), plus a bound on opening
 * a connection (a frozen server accepts none).
 *
 * `serverSide: false` leaves out `statement_timeout`: pg sends it as a startup parameter, which
 * PgBouncer refuses ("unsupported startup parameter") unless told to ignore it. Behind a pooler
 * the server-side bound comes from the role instead (`ALTER ROLE ... SET statement_timeout`,
 * docs/scaling.md "Connections"); the client-side one stays.
 */
export function clientTimeouts(statementTimeoutMs: number, serverSide = true): { statement_timeout?: number; query_timeout: number; connectionTimeoutMillis: number } {
  const client = { query_timeout: statementTimeoutMs + 1000, connectionTimeoutMillis: statementTimeoutMs + 1000 };
  return serverSide ? { statement_timeout: statementTimeoutMs, ...client } : client;
}
