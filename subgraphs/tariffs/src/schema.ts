import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, SubgraphMigrations } from '@evcs/platform';
import { referenceResolvers, resolvers } from './graphql/resolvers';
import { Charger, Station } from './graphql/types';

export const SUBGRAPH_NAME = 'tariffs';

export const migrations: SubgraphMigrations = { schema: 'tariffs', directory: path.join(__dirname, '../migrations') };

export function buildTariffsSchema(): Promise<GraphQLSchema> {
  // Charger and Station are assets' entities that tariffs extends; nothing here returns them, so name them.
  return buildFederatedSchema({ resolvers, orphanedTypes: [Charger, Station] }, referenceResolvers);
}
