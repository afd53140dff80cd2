import { Supergraph } from '@apollo/federation-internals';
import { SUBSCRIPTIONS_SDL } from '@evcs/router';
import { buildSubscriptionSchema } from '@evcs/router/dist/src/subscriptions/schema';
import { printSchema } from 'graphql';

/**
 * The API clients see, as the router serves it: the supergraph without federation's machinery
 * and @inaccessible elements, with the router's own subscriptions (graphql-ws) on top. The API
 * reference is generated from it, and the console's operations are typed against it.
 */
export function apiSchemaSdl(supergraphSdl: string): string {
  const api = Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
  return printSchema(buildSubscriptionSchema(api, SUBSCRIPTIONS_SDL, {}));
}
