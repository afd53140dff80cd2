import { byKey, groupByKey } from '@evcs/platform';
import DataLoader from 'dataloader';
import type { BindingRecord, PlanRecord, TariffReadScope, TariffStore, VersionRecord } from '../domain/ports';

/** Per-request loaders, created with the request's scope: no cache ever spans tenants or users. */
export function createLoaders(store: TariffStore, scope: () => TariffReadScope) {
  return {
    plan: new DataLoader<string, PlanRecord | null>(async (ids) => byKey(await store.plansByIds(scope(), ids), ids, (r) => r.id)),
    versionsByPlan: new DataLoader<string, VersionRecord[]>(async (ids) => groupByKey(await store.versionsByPlanIds(scope(), ids), ids, (r) => r.planId)),
    bindingByCharger: new DataLoader<string, BindingRecord | null>(async (ids) =>
      byKey(await store.bindingsByChargerIds(scope(), ids), ids, (r) => r.chargerId),
    ),
  };
}
export type TariffLoaders = ReturnType<typeof createLoaders>;
