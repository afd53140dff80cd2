import {
  createSubgraphServer,
  Knex,
  Logger,
  PgAuditReader,
  pingDatabase,
  requestReadScopes,
  readScopeOf,
  requirePermission,
  SubgraphServer,
  TokenVerifier,
} from '@evcs/platform';
import type { TariffsContext } from './context';
import { PlanCache } from './domain/plan-cache';
import { TariffImpactService } from './domain/impact';
import type { ChargerLookup, CompletedSessions, TariffReadScope, TariffWriteScope } from './domain/ports';
import { TariffService } from './domain/tariff-service';
import { createLoaders } from './persistence/loaders';
import { TariffsReadRepository } from './persistence/read-repository';
import { PgTariffStore } from './persistence/tariff-store';
import { buildTariffsSchema, SUBGRAPH_NAME } from './schema';

export interface TariffsDeps {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  /** The in-process plan cache pricing reads from; shared with the cache-invalidation consumer. */
  cache?: PlanCache;
  /**
   * Told after a commit that enqueued plan or binding changes: wakes the outbox relay (run
   * beside the server by runSubgraphMain), so they are announced now rather than at its next poll.
   */
  onCommitted?: () => void;
  clock?: () => Date;
  /** The charger's station and protocol for bindings (assets; AssetsChargerLookup). Without it bindChargerTariff is unavailable. */
  chargers?: ChargerLookup;
  /** A station's completed sessions for tariffImpact (orders; OrdersCompletedSessions). Without it tariffImpact is unavailable. */
  sessions?: CompletedSessions;
  /** Sessions per page tariffImpact asks orders for (default IMPACT_PAGE_SIZE). */
  impactPageSize?: number;
}

export interface TariffsServer extends SubgraphServer {
  service: TariffService;
  cache: PlanCache;
}

/** Builds the tariffs subgraph HTTP server; never listens. */
export async function createTariffsServer(deps: TariffsDeps): Promise<TariffsServer> {
  const store = new PgTariffStore(deps.knex);
  const reads = new TariffsReadRepository(deps.knex);
  const audit = new PgAuditReader(deps.knex);
  const cache = deps.cache ?? new PlanCache();
  const service = new TariffService(store, { committed: () => deps.onCommitted?.() }, cache, deps.logger, deps.clock, deps.chargers);
  const impact = new TariffImpactService(deps.sessions, deps.impactPageSize);
  const srv = await createSubgraphServer<TariffsContext>({
    name: SUBGRAPH_NAME,
    schema: await buildTariffsSchema(),
    verifier: deps.verifier,
    logger: deps.logger,
    extendContext: (base) => {
      // Platform services (orders pricing a session) read the tenant named in their token.
      const scopes = requestReadScopes(base.identity, 'token-tenant');
      const readScope = (): TariffReadScope => scopes('tariff:read');
      const writeScope = (): TariffWriteScope => {
        requirePermission(base.identity, 'tariff:write');
        if (base.identity.kind === 'service') return { tenantId: base.tenantId(), stationIds: null };
        const s = readScopeOf(base.identity);
        return { tenantId: s.tenantId, stationIds: s.stationIds };
      };
      return {
        ...base,
        services: { tariffs: service, impact },
        reads: { tariffs: reads, audit },
        readScope,
        writeScope,
        loaders: createLoaders(reads, readScope),
      };
    },
    ready: async () => {
      await pingDatabase(deps.knex);
    },
  });
  return { ...srv, service, cache };
}
