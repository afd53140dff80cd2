import { createSubgraphServer, Knex, Logger, readScopeOf, requirePermission, SubgraphServer, TokenVerifier } from '@evcs/platform';
import type { AssetsContext } from './context';
import { createLoaders } from './persistence/loaders';
import { AssetsReadRepository, AssetsReadScope } from './persistence/read-repository';
import { buildAssetsSchema, SUBGRAPH_NAME } from './schema';

export interface AssetsDeps {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
}

/** Builds the assets subgraph HTTP server; never listens. */
export async function createAssetsServer(deps: AssetsDeps): Promise<SubgraphServer> {
  const repo = new AssetsReadRepository(deps.knex);
  return createSubgraphServer<AssetsContext>({
    name: SUBGRAPH_NAME,
    schema: await buildAssetsSchema(),
    verifier: deps.verifier,
    logger: deps.logger,
    extendContext: (base) => {
      let scope: AssetsReadScope | undefined;
      const readScope = (): AssetsReadScope => {
        if (!scope) {
          requirePermission(base.identity, 'station:read');
          scope = readScopeOf(base.identity);
        }
        return scope;
      };
      return { ...base, repo, readScope, loaders: createLoaders(repo, readScope) };
    },
    ready: async () => {
      await deps.knex.raw('select 1');
    },
  });
}
