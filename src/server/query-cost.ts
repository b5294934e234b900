import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, getOperationAST, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { LRUCache } from 'lru-cache';
import { LIMITS } from '../config';
import { ErrorCode } from '../errors';

/**
 * The cost limit, computed with the operation's variables: a field costs 1, and a connection
 * (`first`/`last`, or its default page size) multiplies what it selects by the page size. So
 * `conversations(first: $n)` costs the same as `conversations(first: 100)` when n = 100, which a
 * validation rule (variables unknown) cannot see. Shared by HTTP (Apollo plugin) and WebSocket.
 */
const DEFAULT_PAGE_SIZES: Record<string, number> = {
  conversations: LIMITS.defaultConversationPageSize,
  messages: LIMITS.defaultMessagePageSize,
};

const pageSizeEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const defaultSize = DEFAULT_PAGE_SIZES[field.name];
  if (defaultSize === undefined) return 1 + childComplexity;
  const requested = Number(args.first ?? args.last ?? defaultSize);
  const size = Number.isFinite(requested) && requested >= 0 ? Math.min(requested, LIMITS.maxPageSize) : defaultSize;
  return 1 + Math.max(1, size) * childComplexity;
};

/**
 * The cost of one operation with its variables. Fragment spreads are expanded where they are
 * used, so each spread counts towards the cost and towards getComplexity's node limit (its
 * default, 10,000 selections): a fragment bomb throws here, and costLimitError refuses it.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null) {
  return getComplexity({ schema, query: document, variables: variables ?? {}, operationName: operationName ?? undefined, estimators: [pageSizeEstimator] });
}

/**
 * Costs per document, computed once: Apollo hands the same DocumentNode for the same query text
 * (its parse cache), and a document's cost depends only on the variables that page sizes and
 * @include/@skip read, so those values are the rest of the key. A message's content, say, is not.
 */
// Eviction: a document's entry goes with the document (WeakMap), and past 100 variable values
// per document the least recently used cost goes.
const costs = new WeakMap<DocumentNode, { costVariables: string[]; byKey: LRUCache<string, number> }>();
const MAX_KEYS_PER_DOCUMENT = 100;

/** Variables used directly as `first`, `last` or a directive's `if`: all the estimator and getComplexity read. */
function variablesCostDependsOn(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if (node.value.kind === Kind.VARIABLE && ['first', 'last', 'if'].includes(node.name.value)) names.add(node.value.name.value);
    },
  });
  return [...names];
}

function cachedCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null): number {
  let entry = costs.get(document);
  if (!entry) {
    entry = { costVariables: variablesCostDependsOn(document), byKey: new LRUCache({ max: MAX_KEYS_PER_DOCUMENT }) };
    costs.set(document, entry);
  }
  const key = JSON.stringify([operationName ?? null, ...entry.costVariables.map((name) => variables?.[name] ?? null)]);
  let cost = entry.byKey.get(key);
  if (cost === undefined) {
    cost = operationCost(schema, document, variables, operationName);
    entry.byKey.set(key, cost);
  }
  return cost;
}

/**
 * A GraphQLError when the operation costs more than LIMITS.maxCost, else null. `cached`: only
 * where documents are shared (Apollo's parse cache over HTTP). graphql-ws parses every
 * subscribe anew, so a cache entry there would only cost memory for as long as the socket.
 */
export function costLimitError(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
  cached = true,
): GraphQLError | null {
  let cost: number;
  try {
    cost = cached ? cachedCost(schema, document, variables, operationName) : operationCost(schema, document, variables, operationName);
  } catch (error) {
    // Fail closed: only bad variables may pass here (graphql-js reports them with their own
    // error at execution, and nothing runs). Anything else, such as a fragment bomb over the
    // estimator's node limit, is an operation whose cost is unknown, so it does not run.
    if (hasVariableErrors(schema, document, variables, operationName)) return null;
    return new GraphQLError('Query cost could not be computed: the operation is too large', {
      extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'COST_LIMIT', limit: LIMITS.maxCost, detail: error instanceof GraphQLError ? error.message : undefined },
    });
  }
  if (cost <= LIMITS.maxCost) return null;
  return new GraphQLError(`Query cost limit of ${LIMITS.maxCost} exceeded, found ${cost}`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'COST_LIMIT', cost, limit: LIMITS.maxCost },
  });
}

function hasVariableErrors(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null): boolean {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return false;
  const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  return (errors?.length ?? 0) > 0;
}

/** Apollo plugin: refuses an operation over the cost limit once its variables are known. */
export function costLimitPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          const error = costLimitError(schema, document, request.variables, request.operationName);
          if (error) throw error;
        },
      };
    },
  };
}
