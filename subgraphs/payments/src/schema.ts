import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, deadLetterResolver, SubgraphMigrations } from '@evcs/platform';
import { PaymentAuditLogResolver, PaymentResolver, referenceResolvers, RefundResolver, StatementResolver } from './graphql/resolvers';

export const SUBGRAPH_NAME = 'payments';

export const migrations: SubgraphMigrations = { schema: 'payments', directory: path.join(__dirname, '../migrations') };

export function buildPaymentsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    { resolvers: [PaymentResolver, RefundResolver, StatementResolver, deadLetterResolver(SUBGRAPH_NAME), PaymentAuditLogResolver] },
    referenceResolvers,
  );
}
