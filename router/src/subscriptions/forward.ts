import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { RouterContext } from '../auth';
import type { GatewayExecutor } from '../gateway';
import { ForwardedFieldQuery, selectionToGatewayQuery } from './gateway-query';

/**
 * Resolve a router-owned field through the federated graph, as the identity of
 * `context` (the subscriber), by forwarding the field's selection as the root
 * field of a generated query. Returns that root field's value.
 *
 * Errors of the forwarded query become errors of this field (its value is then
 * null); with partial data, the data wins and the errors are logged.
 */
export async function forwardFieldToGateway(execute: GatewayExecutor, context: RouterContext, q: ForwardedFieldQuery): Promise<unknown> {
  const request = selectionToGatewayQuery(q);
  // A fresh request id per forwarded query; the identity (and so its cached internal token) is the subscriber's.
  const ctx: RouterContext = { identity: context.identity, requestId: randomUUID(), log: context.log };
  const result = await execute({ query: request.query, operationName: request.operationName, variables: request.variables }, ctx);
  const value = result.data?.[q.rootField];
  if (result.errors?.length) {
    if (value == null) {
      const first = result.errors[0];
      throw new GraphQLError(first.message, { extensions: first.extensions });
    }
    ctx.log.warn({ operationName: request.operationName, errors: result.errors }, 'forwarded query returned partial data');
  }
  return value ?? null;
}
