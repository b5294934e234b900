import { randomUUID } from 'node:crypto';

export interface BannerInfo {
  port: number;
  isProduction: boolean;
  graphiqlPath?: string;
  /** Path of the reference web client; undefined when it is not served or not built. */
  webAppPath?: string;
  embeddedClusterDir?: string;
  redis: boolean;
}

/** Where to point a browser or a client (the fields of the JSON start line, too). */
export function startUrls(info: BannerInfo): { http: string; websocket: string; graphiql?: string } {
  const origin = `http://localhost:${info.port}`;
  return {
    http: `${origin}/graphql`,
    websocket: `ws://localhost:${info.port}/graphql`,
    graphiql: info.graphiqlPath ? `${origin}${info.graphiqlPath}` : undefined,
  };
}

/**
 * What `npm start` prints once it serves, for a person at a terminal: the addresses, where the
 * data is, and the exact command for a token (with a fresh user id, ready to paste).
 * Production gets no token line: its tokens come from the identity provider.
 */
export function startBanner(info: BannerInfo): string {
  const urls = startUrls(info);
  const origin = `http://localhost:${info.port}`;
  const lines = [
    'messaging service ready',
    `  HTTP       ${urls.http}${info.isProduction ? '' : '  (Apollo Sandbox in a browser)'}`,
    `  WebSocket  ${urls.websocket}  (graphql-transport-ws)`,
  ];
  if (urls.graphiql) lines.push(`  GraphiQL   ${urls.graphiql}?token=<token>  (works offline)`);
  if (info.webAppPath) lines.push(`  Web app    ${origin}${info.webAppPath}#token=<token>  (the reference client)`);
  lines.push(`  Health     ${origin}/healthz  ${origin}/readyz  ${origin}/metrics`);
  lines.push(`  Database   ${info.embeddedClusterDir ? `embedded PostgreSQL in ${info.embeddedClusterDir}` : 'DATABASE_URL'}`);
  lines.push(`  Pub/sub    ${info.redis ? 'Redis (REDIS_URL)' : 'in-process (one instance only; set REDIS_URL to scale out)'}`);
  if (!info.isProduction) {
    lines.push(`  Token      npm run -s token -- --sub ${randomUUID()} --name Ana`);
    lines.push('             then send "Authorization: Bearer <token>"');
  }
  return lines.join('\n');
}
