import DataLoader from 'dataloader';
import { groupByKey, type ReadScope } from '@evcs/platform';
import type { MeterReading } from '../domain/meter';
import type { OrderRecord } from '../domain/ports';
import type { OrderTransition } from '../domain/timeline';
import type { OrdersReadRepository } from './read-repository';

/** Per-request loaders, built with the request's scope: no cache spans tenants or users. */
export function createLoaders(repo: OrdersReadRepository, scope: () => ReadScope) {
  return {
    order: new DataLoader<string, OrderRecord | null>(async (ids) => {
      const m = new Map((await repo.byIds(scope(), ids)).map((o) => [o.id, o]));
      return ids.map((id) => m.get(id) ?? null);
    }),
    activeByCharger: new DataLoader<string, OrderRecord[]>(async (ids) => groupByKey(await repo.activeByChargers(scope(), ids), ids, (o) => o.chargerId)),
    readings: new DataLoader<string, MeterReading[]>(async (ids) => groupByKey(await repo.readingsByOrders(scope(), ids), ids, (r) => r.orderId)),
    transitions: new DataLoader<string, OrderTransition[]>(async (ids) => groupByKey(await repo.transitionsByOrders(scope(), ids), ids, (t) => t.orderId)),
    activeByStation: new DataLoader<string, OrderRecord[]>(async (ids) => groupByKey(await repo.activeByStations(scope(), ids), ids, (o) => o.stationId)),
  };
}
export type OrdersLoaders = ReturnType<typeof createLoaders>;
