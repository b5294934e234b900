import { ApolloClient, ApolloLink, HttpLink } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient, type Client } from 'graphql-ws';
import { createCache } from './cache';
import { ConnectionStatusStore } from './connection-status';

export interface ApiClient {
  apollo: ApolloClient;
  ws: Client;
  status: ConnectionStatusStore;
  token: string;
}

/** Backoff of the socket's reconnects: 0.5 s doubling to 5 s, jittered, forever. */
function retryWait(retries: number): Promise<void> {
  const ms = Math.min(5000, 500 * 2 ** retries) * (0.75 + Math.random() * 0.5);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Queries and mutations over HTTP, subscriptions over one graphql-ws socket that opens at
 * once (not lazily) and retries forever (CONTRACT.md: the app keeps it open on every view).
 */
export function createApiClient(token: string, origin: string = window.location.origin): ApiClient {
  const status = new ConnectionStatusStore();
  const ws = createClient({
    url: `${origin.replace(/^http/, 'ws')}/graphql`,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: Infinity,
    // Every close is worth a retry here, 4401 (token expired) included: a reload with a fresh
    // token is the only way out, and the socket must come back by itself after a network cut.
    shouldRetry: () => true,
    retryWait,
    keepAlive: 10_000,
    on: { connected: () => status.connected(), closed: () => status.closed(), error: () => status.closed() },
  });
  const http = new SetContextLink(({ headers }) => ({ headers: { ...headers, authorization: `Bearer ${token}` } })).concat(
    new HttpLink({ uri: `${origin}/graphql` }),
  );
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(ws),
    http,
  );
  const apollo = new ApolloClient({ link, cache: createCache() });
  return { apollo, ws, status, token };
}
