import path from 'node:path';
import DataLoader from 'dataloader';
import type { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, createSubgraphServer, SubgraphMigrations, SubgraphRuntime, SubgraphServer } from '@evcs/platform';
import { Context, referenceResolvers, TenantResolver } from './graphql/schema-types';
import { Repository } from './persistence/repository';

export const SUBGRAPH_NAME = 'tenants';

export const migrations: SubgraphMigrations = { schema: 'tenants', directory: path.join(__dirname, '../migrations') };

export function buildTenantsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers: [TenantResolver] }, referenceResolvers);
}

/** Builds the tenants subgraph HTTP server; never listens. */
export async function createTenantsServer(rt: Pick<SubgraphRuntime, 'knex' | 'verifier' | 'logger'>): Promise<SubgraphServer> {
  const repo = new Repository(rt.knex);
  return createSubgraphServer<Context>({
    name: SUBGRAPH_NAME,
    schema: await buildTenantsSchema(),
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
