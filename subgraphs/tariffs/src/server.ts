import { TARIFF_EVENTS_PARTITIONS, TARIFF_EVENTS_TOPIC } from '@evcs/events';
import { createSubgraphServer, EventBus, KafkaNames, Knex, Logger, OutboxRelay, PgOutbox, pingDatabase, readScopeOf, requirePermission, SubgraphServer, TokenVerifier } from '@evcs/platform';
import type { TariffsContext } from './context';
import { PlanCache } from './domain/plan-cache';
import type { ChargerLookup, TariffReadScope, TariffWriteScope } from './domain/ports';
import { TariffService } from './domain/tariff-service';
import { createLoaders } from './persistence/loaders';
import { PgTariffStore } from './persistence/repository';
import { buildTariffsSchema, SUBGRAPH_NAME } from './schema';

export interface TariffsDeps {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  /** The in-process plan cache pricing reads from; shared with the cache-invalidation consumer. */
  cache?: PlanCache;
  /**
   * Where plan and binding changes are announced: the server runs the relay of its outbox
   * to this bus (topics under `names`). Without it, changes wait in the outbox (schema
   * tooling, single-instance tests).
   */
  events?: { bus: EventBus; names: KafkaNames; idleMs?: number };
  clock?: () => Date;
  /** The charger's station and protocol for bindings (assets; AssetsChargerLookup). Without it bindChargerTariff is unavailable. */
  chargers?: ChargerLookup;
}

export interface TariffsServer extends SubgraphServer {
  service: TariffService;
  cache: PlanCache;
}

/** Builds the tariffs subgraph HTTP server; never listens. */
export async function createTariffsServer(deps: TariffsDeps): Promise<TariffsServer> {
  const store = new PgTariffStore(deps.knex);
  const cache = deps.cache ?? new PlanCache();
  const relay = deps.events
    ? new OutboxRelay({
        outbox: new PgOutbox(deps.knex, 'tariffs'),
        bus: deps.events.bus,
        names: deps.events.names,
        logger: deps.logger,
        idleMs: deps.events.idleMs ?? 250,
        prepare: () => deps.events!.bus.ensureTopics([{ topic: deps.events!.names.topic(TARIFF_EVENTS_TOPIC), partitions: TARIFF_EVENTS_PARTITIONS }]),
      })
    : null;
  const service = new TariffService(store, { committed: () => relay?.wake() }, cache, deps.logger, deps.clock, deps.chargers);
  const srv = await createSubgraphServer<TariffsContext>({
    name: SUBGRAPH_NAME,
    schema: await buildTariffsSchema(),
    verifier: deps.verifier,
    logger: deps.logger,
    extendContext: (base) => {
      let read: TariffReadScope | undefined;
      const readScope = (): TariffReadScope => {
        if (!read) {
          requirePermission(base.identity, 'tariff:read');
          // Platform services (orders pricing a session) act for the tenant named in their token.
          read = base.identity.kind === 'service' ? { tenantId: base.tenantId(), tenantIds: [base.tenantId()], stationIds: null } : readScopeOf(base.identity);
        }
        return read;
      };
      const writeScope = (): TariffWriteScope => {
        requirePermission(base.identity, 'tariff:write');
        if (base.identity.kind === 'service') return { tenantId: base.tenantId(), stationIds: null };
        const s = readScopeOf(base.identity);
        return { tenantId: s.tenantId, stationIds: s.stationIds };
      };
      return { ...base, service, store, readScope, writeScope, loaders: createLoaders(store, readScope) };
    },
    ready: async () => {
      await pingDatabase(deps.knex);
    },
  });
  relay?.start();
  return {
    ...srv,
    service,
    cache,
    stop: async () => {
      await srv.stop();
      await relay?.stop();
    },
  };
}
