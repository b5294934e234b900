import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_DISTINCT_OPERATIONS = 200;

/**
 * Duration of every operation by name and outcome, errors by code, and one log line per
 * operation (name, duration, codes; never variables). Operation names are client-chosen, so
 * the label set is capped to keep Prometheus cardinality bounded.
 */
export function observabilityPlugin(metrics: Metrics, logger: Logger): ApolloServerPlugin<Context> {
  const seen = new Set<string>();
  const label = (name: string | null | undefined) => {
    if (!name || !OPERATION_NAME.test(name)) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_DISTINCT_OPERATIONS) return 'other';
    seen.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      const codes: string[] = [];
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) codes.push(String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
        },
        async willSendResponse({ operationName, operation, contextValue, response }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const outcome = codes.length === 0 ? 'success' : 'error';
          const name = label(operationName);
          metrics.operationDuration.observe({ operation: name, type: operation?.operation ?? 'unknown', outcome }, seconds);
          // Count the codes the client sees (after formatError), not the raw ones.
          const body = response.body.kind === 'single' ? response.body.singleResult : undefined;
          for (const error of body?.errors ?? []) metrics.errors.inc({ code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
          logger.info(
            { requestId: contextValue?.requestId, operation: name, outcome, ms: Math.round(seconds * 1000), codes: body?.errors?.map((e) => e.extensions?.code) },
            'graphql operation',
          );
        },
      };
    },
  };
}
