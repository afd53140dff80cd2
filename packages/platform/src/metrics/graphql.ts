import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { counter, histogram } from './registry';

const operationDuration = histogram<'operation' | 'type' | 'outcome'>({
  name: 'evcs_graphql_operation_duration_seconds',
  help: 'GraphQL operations from request to response, by operation (its root fields), type and outcome (success, or error when the response carries errors)',
  labelNames: ['operation', 'type', 'outcome'],
});
const operationErrors = counter<'operation' | 'code'>({
  name: 'evcs_graphql_errors_total',
  help: 'Errors in GraphQL responses, by operation and extensions.code',
  labelNames: ['operation', 'code'],
});

const MAX_ROOT_FIELDS = 3;

/**
 * An operation is named by its root fields (`startCharging`, `chargers,stations`), not by the
 * operation name a client picks: root fields are bounded by the schema (an operation that
 * names a field the schema lacks never validates), client-chosen names are not.
 */
export function operationLabel(op: OperationDefinitionNode | undefined): string {
  if (!op) return '(invalid)';
  const names = [...new Set(op.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '(fragment)')))].sort();
  return names.length > MAX_ROOT_FIELDS ? `${names.slice(0, MAX_ROOT_FIELDS).join(',')},…` : names.join(',');
}

/** Apollo Server plugin (router and every subgraph): duration by operation and outcome, errors by code. */
export function graphqlMetricsPlugin<C extends BaseContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      const end = operationDuration.startTimer();
      let operation = '(invalid)';
      let type = 'unknown';
      return {
        async didResolveOperation(ctx) {
          operation = operationLabel(ctx.operation);
          type = ctx.operation?.operation ?? 'unknown';
        },
        async willSendResponse(ctx) {
          const errors = ctx.response.body.kind === 'single' ? (ctx.response.body.singleResult.errors ?? []) : [];
          for (const e of errors) operationErrors.inc({ operation, code: String(e.extensions?.code ?? 'UNKNOWN') });
          end({ operation, type, outcome: errors.length ? 'error' : 'success' });
        },
      };
    },
  };
}
