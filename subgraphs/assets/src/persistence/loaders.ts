import DataLoader from 'dataloader';
import type { AssetsReadRepository, AssetsReadScope, ChargerRow, ConnectorRow, StationRow } from './read-repository';

function byKey<T, K>(rows: T[], keys: readonly K[], key: (r: T) => K): (T | null)[] {
  const m = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => m.get(k) ?? null);
}
function groupBy<T, K>(rows: T[], keys: readonly K[], key: (r: T) => K): T[][] {
  const m = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return keys.map((k) => m.get(k) ?? []);
}

/** Per-request loaders: created with the request's scope, so no cache ever spans tenants or users. */
export function createLoaders(repo: AssetsReadRepository, scope: () => AssetsReadScope) {
  return {
    station: new DataLoader<string, StationRow | null>(async (ids) => byKey(await repo.stationsByIds(scope(), ids), ids, (r) => r.id)),
    charger: new DataLoader<string, ChargerRow | null>(async (ids) => byKey(await repo.chargersByIds(scope(), ids), ids, (r) => r.id)),
    chargerByCode: new DataLoader<string, ChargerRow | null>(async (codes) =>
      byKey(await repo.chargersByCodes(scope(), codes), codes, (r) => r.code),
    ),
    chargersByStation: new DataLoader<string, ChargerRow[]>(async (ids) =>
      groupBy(await repo.chargersByStationIds(scope(), ids), ids, (r) => r.station_id),
    ),
    connector: new DataLoader<string, ConnectorRow | null>(async (ids) => byKey(await repo.connectorsByIds(scope(), ids), ids, (r) => r.id)),
    connectorsByCharger: new DataLoader<string, ConnectorRow[]>(async (ids) =>
      groupBy(await repo.connectorsByChargerIds(scope(), ids), ids, (r) => r.charger_id),
    ),
  };
}
export type AssetsLoaders = ReturnType<typeof createLoaders>;
