import 'reflect-metadata';
import { GraphQLSchema, parse } from 'graphql';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, BuildSchemaOptions, createResolversMap } from 'type-graphql';

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag"])';

export type ReferenceResolvers = Record<string, { __resolveReference: (ref: any, ctx: any, info: any) => unknown }>;

/**
 * Build a federation-2 subgraph schema from type-graphql resolvers. type-graphql
 * produces the types; @apollo/subgraph adds `_entities`/`_service`. The array form
 * of buildSubgraphSchema is required by @apollo/subgraph 2.15.
 */
export async function buildFederatedSchema(
  options: Omit<BuildSchemaOptions, 'skipCheck'>,
  referenceResolvers: ReferenceResolvers = {},
): Promise<GraphQLSchema> {
  const schema = await buildSchema({ ...options, skipCheck: true, validate: false });
  const typeDefs = parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as Record<string, any>;
  for (const [typeName, ref] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] ?? {}), ...ref };
  }
  return buildSubgraphSchema([{ typeDefs, resolvers }]);
}

/** The SDL a subgraph publishes (what composition consumes), stable for diffing. */
export function subgraphSdl(schema: GraphQLSchema): string {
  return printSubgraphSchema(schema).trim() + '\n';
}
