import path from 'node:path';
import DataLoader from 'dataloader';
import type { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, createSubgraphServer, SubgraphMigrations, SubgraphRuntime, SubgraphServer } from '@evcs/platform';
import { Context, referenceResolvers, PaymentResolver } from './graphql/schema-types';
import { Repository } from './persistence/repository';

export const SUBGRAPH_NAME = 'payments';

export const migrations: SubgraphMigrations = { schema: 'payments', directory: path.join(__dirname, '../migrations') };

export function buildPaymentsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers: [PaymentResolver] }, referenceResolvers);
}

/** Builds the payments subgraph HTTP server; never listens. */
export async function createPaymentsServer(rt: Pick<SubgraphRuntime, 'knex' | 'verifier' | 'logger'>): Promise<SubgraphServer> {
  const repo = new Repository(rt.knex);
  return createSubgraphServer<Context>({
    name: SUBGRAPH_NAME,
    schema: await buildPaymentsSchema(),
    verifier: rt.verifier,
    logger: rt.logger,
    extendContext: (base) => ({
      ...base,
      repo,
      byId: new DataLoader(async (ids: readonly string[]) => {
        const rows = await repo.byIds(base.tenantId(), ids);
        const m = new Map(rows.map((r) => [r.id, r]));
        return ids.map((id) => m.get(id) ?? null);
      }),
    }),
    ready: async () => {
      await rt.knex.raw('select 1');
    },
  });
}
