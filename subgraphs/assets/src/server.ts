import { AppError, createSubgraphServer, ErrorCodes, Identity, Knex, Logger, pingDatabase, readScopeOf, requirePermission, SubgraphServer, TokenVerifier } from '@evcs/platform';
import type { AssetsContext } from './context';
import { AssetService, WriteActor } from './domain/asset-service';
import type { TenantQuotaPort } from './domain/quota';
import { createLoaders } from './persistence/loaders';
import { AssetsReadRepository, AssetsReadScope } from './persistence/read-repository';
import { PgAssetWriteStore } from './persistence/write-store';
import { buildAssetsSchema, SUBGRAPH_NAME } from './schema';

export interface AssetsDeps {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  /** Where creations learn the tenant's limits (the tenants subgraph in production). */
  quotas: TenantQuotaPort;
}

/**
 * Writes go to the identity's own tenant only — never to visible child tenants
 * (those are readable, not writable) — and a station-scoped identity writes only
 * within its assigned stations. A SELF scope owns no assets and writes none.
 */
export function writeActorOf(identity: Identity): WriteActor {
  requirePermission(identity, 'station:write');
  const scope = readScopeOf(identity);
  if (scope.scope === 'SELF') throw new AppError(ErrorCodes.FORBIDDEN, 'a SELF data scope cannot change assets');
  return { tenantId: scope.tenantId, stationIds: scope.scope === 'ASSIGNED_STATIONS' ? scope.stationIds : null };
}

/** Builds the assets subgraph HTTP server; never listens. */
export async function createAssetsServer(deps: AssetsDeps): Promise<SubgraphServer> {
  const repo = new AssetsReadRepository(deps.knex);
  const assets = new AssetService(new PgAssetWriteStore(deps.knex), deps.quotas);
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
      return { ...base, repo, assets, readScope, writeActor: () => writeActorOf(base.identity), loaders: createLoaders(repo, readScope) };
    },
    ready: async () => {
      await pingDatabase(deps.knex);
    },
  });
}
