import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, SubgraphMigrations } from '@evcs/platform';
import { referenceResolvers, resolvers } from './graphql/resolvers';

export const SUBGRAPH_NAME = 'tenants';

export const migrations: SubgraphMigrations = { schema: 'tenants', directory: path.join(__dirname, '../migrations') };

export function buildTenantsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers }, referenceResolvers);
}
