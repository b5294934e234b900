import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from './auth/viewer';
import type { DomainError } from './errors';
import { createLoaders, type Loaders } from './resolvers/loaders';
import type { Services } from './services/services';

/** The GraphQL context, the same shape over HTTP and WebSocket. */
export interface Context {
  /** Null when no valid token came with the request; `authError` says why. */
  viewer: Viewer | null;
  authError: DomainError | null;
  em: EntityManager;
  loaders: Loaders;
  services: Services;
  requestId: string;
}

/**
 * Builds a context. On WebSocket the context lives as long as the socket, so loaders are
 * uncached there (`longLived`) and each subscription event sees fresh rows.
 */
export function createContext(
  services: Services,
  viewer: Viewer | null,
  authError: DomainError | null,
  requestId: string,
  longLived = false,
): Context {
  const viewerId = viewer?.kind === 'user' ? viewer.id : null;
  let em: EntityManager | null = null;
  return {
    viewer,
    authError,
    // Forked on first use: most requests (loaders, sends) never touch MikroORM.
    get em() {
      em ??= services.deps.orm.em.fork() as EntityManager;
      return em;
    },
    loaders: createLoaders(services.deps.sql, viewerId, services.deps.presence, !longLived),
    services,
    requestId,
  };
}
