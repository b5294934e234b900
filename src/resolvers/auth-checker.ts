import type { AuthChecker } from 'type-graphql';
import type { Context } from '../context';
import { forbidden, unauthenticated } from '../errors';
import type { UserViewer } from '../auth/viewer';

/** Roles of `@Authorized`: a marketplace user, or a trusted backend. */
export enum Role {
  USER = 'USER',
  SERVICE = 'SERVICE',
}

/**
 * No valid token: UNAUTHENTICATED. A user on a service operation, or a service on a user
 * operation: FORBIDDEN. Throwing (rather than answering false) keeps the contract's codes.
 */
export const authChecker: AuthChecker<Context, Role> = ({ context }, roles) => {
  const { viewer } = context;
  if (!viewer) throw context.authError ?? unauthenticated();
  const role = viewer.kind === 'service' ? Role.SERVICE : Role.USER;
  if (roles.length > 0 && !roles.includes(role)) {
    throw forbidden(role === Role.SERVICE ? 'Services cannot call user operations' : 'Service role only');
  }
  return true;
};

/** The calling user; only inside resolvers guarded by `@Authorized(Role.USER)`. */
export function viewerUser(context: Context): UserViewer {
  if (context.viewer?.kind !== 'user') throw forbidden();
  return context.viewer;
}
