import { byKey, groupByKey, serviceAuditActor } from '@evcs/platform';
import DataLoader from 'dataloader';
import type { ChargerSecurityService, ChargerSecurityView } from '../domain/charger-security';
import type { AssetsReadRepository, AssetsReadScope, ChargerRow, ConnectorRow, StationRow, StationStatsRow, StatusHistoryRow } from './read-repository';

/**
 * Per-request loaders: created with the request's scope, so no cache ever spans tenants or users.
 * Each batch is one pipelined read of AssetsReadRepository (knex, not objection's withGraphFetched:
 * the nested scenario of `npm run bench:router` resolves stations → chargers → connectors through
 * these, one batch per level across the whole page).
 */
export function createLoaders(repo: AssetsReadRepository, scope: () => AssetsReadScope, security?: ChargerSecurityService) {
  const historyByLimit = new Map<number, DataLoader<string, StatusHistoryRow[]>>();
  return {
    /** Aggregates of many stations in the same two grouped queries. */
    stationStats: new DataLoader<string, StationStatsRow | null>(async (ids) => byKey(await repo.stationStats(scope(), ids), ids, (r) => r.station_id)),
    /** The latest `limit` status changes per connector; one loader per limit asked for. */
    statusHistory(limit: number): DataLoader<string, StatusHistoryRow[]> {
      let l = historyByLimit.get(limit);
      if (!l) {
        l = new DataLoader<string, StatusHistoryRow[]>(async (ids) => groupByKey(await repo.statusHistory(scope(), ids, limit), ids, (r) => r.connector_id));
        historyByLimit.set(limit, l);
      }
      return l;
    },
    station: new DataLoader<string, StationRow | null>(async (ids) => byKey(await repo.stationsByIds(scope(), ids), ids, (r) => r.id)),
    charger: new DataLoader<string, ChargerRow | null>(async (ids) => byKey(await repo.chargersByIds(scope(), ids), ids, (r) => r.id)),
    chargerByCode: new DataLoader<string, ChargerRow | null>(async (codes) => byKey(await repo.chargersByCodes(scope(), codes), codes, (r) => r.code)),
    chargersByStation: new DataLoader<string, ChargerRow[]>(async (ids) => groupByKey(await repo.chargersByStationIds(scope(), ids), ids, (r) => r.station_id)),
    connector: new DataLoader<string, ConnectorRow | null>(async (ids) => byKey(await repo.connectorsByIds(scope(), ids), ids, (r) => r.id)),
    /** Connection security of the request tenant's own chargers (a page of chargers in one query). */
    security: new DataLoader<string, ChargerSecurityView | null>(async (ids) => {
      const s = scope();
      const rows = security
        ? await security.views({ tenantId: s.tenantId, stationIds: s.stationIds, subject: '', requestId: null, audit: serviceAuditActor('assets') }, ids)
        : [];
      return byKey(rows, ids, (r) => r.chargerId);
    }),
    connectorsByCharger: new DataLoader<string, ConnectorRow[]>(async (ids) =>
      groupByKey(await repo.connectorsByChargerIds(scope(), ids), ids, (r) => r.charger_id),
    ),
  };
}
export type AssetsLoaders = ReturnType<typeof createLoaders>;
