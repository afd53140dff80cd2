import path from 'node:path';
import DataLoader from 'dataloader';
import type { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, createSubgraphServer, SubgraphMigrations, SubgraphRuntime, SubgraphServer } from '@evcs/platform';
import { Context, referenceResolvers, ChargingOrderResolver } from './graphql/schema-types';
import { Repository } from './persistence/repository';

export const SUBGRAPH_NAME = 'orders';

export const migrations: SubgraphMigrations = { schema: 'orders', directory: path.join(__dirname, '../migrations') };

export function buildOrdersSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers: [ChargingOrderResolver] }, referenceResolvers);
}

/** Builds the orders subgraph HTTP server; never listens. */
export async function createOrdersServer(rt: Pick<SubgraphRuntime, 'knex' | 'verifier' | 'logger'>): Promise<SubgraphServer> {
  const repo = new Repository(rt.knex);
  return createSubgraphServer<Context>({
    name: SUBGRAPH_NAME,
    schema: await buildOrdersSchema(),
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
