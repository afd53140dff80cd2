import { byKey, groupByKey } from '@evcs/platform';
import DataLoader from 'dataloader';
import type { BindingRecord, PlanRecord, TariffReadScope, VersionRecord } from '../domain/ports';
import type { TariffsReadRepository } from './read-repository';

/** Per-request loaders, created with the request's scope: no cache ever spans tenants or users. */
export function createLoaders(reads: TariffsReadRepository, scope: () => TariffReadScope) {
  return {
    plan: new DataLoader<string, PlanRecord | null>(async (ids) => byKey(await reads.plansByIds(scope(), ids), ids, (r) => r.id)),
    versionsByPlan: new DataLoader<string, VersionRecord[]>(async (ids) => groupByKey(await reads.versionsByPlanIds(scope(), ids), ids, (r) => r.planId)),
    bindingByCharger: new DataLoader<string, BindingRecord | null>(async (ids) =>
      byKey(await reads.bindingsByChargerIds(scope(), ids), ids, (r) => r.chargerId),
    ),
  };
}
export type TariffLoaders = ReturnType<typeof createLoaders>;
