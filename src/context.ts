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
 * A request's or socket's context. The EntityManager is forked on first use: most requests
 * (loaders, sends) never touch MikroORM. The getter lives on the prototype because Apollo
 * copies the context with Object.assign, which would call an own getter and fork every time.
 */
class LazyContext implements Context {
  private forked: EntityManager | null = null;
  readonly viewer: Viewer | null;
  readonly authError: DomainError | null;
  readonly loaders: Loaders;
  readonly services: Services;
  readonly requestId: string;

  constructor(parts: Omit<Context, 'em'>) {
    this.viewer = parts.viewer;
    this.authError = parts.authError;
    this.loaders = parts.loaders;
    this.services = parts.services;
    this.requestId = parts.requestId;
  }

  get em(): EntityManager {
    this.forked ??= this.services.deps.orm.em.fork() as EntityManager;
    return this.forked;
  }
}

/**
 * Builds a context. On WebSocket the context lives as long as the socket, so loaders are
 * uncached there (`longLived`) and each subscription event sees fresh rows.
 */
export interface ContextOptions {
  services: Services;
  viewer: Viewer | null;
  authError: DomainError | null;
  requestId: string;
  /** A WebSocket context: lives as long as the socket, so its loaders do not cache. */
  longLived?: boolean;
}

export function createContext({ services, viewer, authError, requestId, longLived = false }: ContextOptions): Context {
  const viewerId = viewer?.kind === 'user' ? viewer.id : null;
  const loaders = createLoaders(services.deps.sql, viewerId, services.deps.presence, !longLived);
  return new LazyContext({ viewer, authError, loaders, services, requestId });
}
