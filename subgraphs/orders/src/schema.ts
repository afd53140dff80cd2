import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, SubgraphMigrations } from '@evcs/platform';
import { OrderForPaymentResolver, PaymentFactResolver } from './graphql/payable-resolvers';
import { referenceResolvers, resolvers } from './graphql/resolvers';

export const SUBGRAPH_NAME = 'orders';

export const migrations: SubgraphMigrations = { schema: 'orders', directory: path.join(__dirname, '../migrations') };

export function buildOrdersSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers: [...resolvers, OrderForPaymentResolver, PaymentFactResolver] }, referenceResolvers);
}
