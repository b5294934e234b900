import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';
import { LIMITS } from '../config';

/**
 * The abuse limits as GraphQL validation rules, shared by HTTP (Apollo) and WebSocket
 * (graphql-ws `onSubscribe`), so that one operation is judged the same on both.
 * Limit values live in config.ts (LIMITS). The cost limit needs the variables, so it is not a
 * validation rule: see query-cost.ts.
 */
export function abuseLimitRules(): ValidationRule[] {
  // Not thrown (a throw escapes graphql's validate()): reported as a validation error instead,
  // so that a rejected operation stops at validation with one clear error. Without onReject,
  // propagateOnRejection: false would make every limit a no-op.
  const reject = (context: ValidationContext | null, error: GraphQLError) => context?.reportError(error);
  const common = { propagateOnRejection: false, exposeLimits: true, onReject: [reject] };
  return [
    maxDepthRule({ ...common, n: LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true }),
    maxAliasesRule({ ...common, n: LIMITS.maxAliases }),
    maxDirectivesRule({ ...common, n: LIMITS.maxDirectives }),
  ] as ValidationRule[];
}
