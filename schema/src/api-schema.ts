import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildASTSchema, buildSchema, extendSchema, GraphQLObjectType, GraphQLSchema, lexicographicSortSchema, parse, printSchema } from 'graphql';
import { REPO_ROOT } from './subgraphs';

/** The router-owned SDL (subscriptions), layered on the supergraph's API schema by the router. */
export const SUBSCRIPTIONS_SDL_PATH = path.join(REPO_ROOT, 'router', 'src', 'subscriptions', 'subscriptions.graphql');

/**
 * The API schema clients see: the supergraph's API schema (what the gateway serves over HTTP)
 * extended with the router's subscription SDL, as router/src/subscriptions/schema.ts builds it.
 */
export function withSubscriptions(api: GraphQLSchema, subscriptionsSdl: string = readFileSync(SUBSCRIPTIONS_SDL_PATH, 'utf8')): GraphQLSchema {
  const extended = extendSchema(api, parse(subscriptionsSdl));
  // a new `type Subscription` is not a root type until the schema says so
  const subscription = extended.getSubscriptionType() ?? (extended.getType('Subscription') as GraphQLObjectType | undefined);
  return new GraphQLSchema({ ...extended.toConfig(), subscription });
}

/** Printed sorted, so a release baseline diffs by content, not by composition order. */
export const printApiSchema = (schema: GraphQLSchema): string => printSchema(lexicographicSortSchema(schema)) + '\n';

export const schemaFromApiSdl = (sdl: string): GraphQLSchema => buildSchema(sdl);

/**
 * A subgraph SDL as a schema to diff: federation directives (`@key`, `@link`…) are used but not
 * defined in the emitted SDL, so it is built without validation; the diff sees its types and fields.
 */
export const subgraphSchemaFromSdl = (sdl: string): GraphQLSchema => buildASTSchema(parse(sdl), { assumeValidSDL: true });
