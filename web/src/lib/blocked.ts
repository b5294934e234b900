import type { ApolloClient } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { WebThreadHeaderDocument } from '../gql/graphql';

type ErrorLike = { extensions?: Readonly<Record<string, unknown>> | null };

/** 'BLOCKED' when one of the errors is the service's refusal because of a block (CONTRACT.md). */
export function blockedReason(errors: readonly ErrorLike[] | undefined): 'BLOCKED' | undefined {
  return errors?.some((error) => error.extensions?.reason === 'BLOCKED') ? 'BLOCKED' : undefined;
}

export function isBlockedError(error: unknown): boolean {
  return CombinedGraphQLErrors.is(error) && blockedReason(error.errors) === 'BLOCKED';
}

/**
 * A block arrives as a conversationEvent (session/realtime-bridge.ts). One missed while the
 * socket was away shows up as a refused send, typing or reaction: then the thread header's
 * isBlocked is read again.
 */
export function refreshBlockState(apollo: ApolloClient): void {
  void apollo.refetchQueries({ include: [WebThreadHeaderDocument] }).catch(() => undefined);
}
