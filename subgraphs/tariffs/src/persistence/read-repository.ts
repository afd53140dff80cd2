import { Knex, keysetQuery, keysetRows, type KeysetWindow, withTenantScope } from '@evcs/platform';
import type { BindingRecord, PlanRecord, TariffReadScope, VersionRecord } from '../domain/ports';
import { BindingModel, PlanModel, PlanVersionModel } from './models';
import { ofStation, toBinding, toPlan, toVersion } from './tariff-store';

/**
 * The read side of tariffs for GraphQL, within a request's read scope: its tenants (an
 * explicit filter, RLS underneath in withTenantScope) and, when station-scoped, its stations.
 */
interface PlanFilter {
  stationId?: string | null;
  includeRetired: boolean;
}

/** A plan's place in the plan list: its station ('' for tenant-level), name and id. */
export interface PlanKey {
  s: string;
  n: string;
  id: string;
}

export class TariffsReadRepository {
  constructor(private readonly knex: Knex) {}

  private scopedPlans(trx: Knex.Transaction, scope: TariffReadScope) {
    const q = PlanModel.query(trx).whereIn('tenant_id', scope.tenantIds);
    const stations = scope.stationIds;
    // station-scoped readers see their stations' plans and the tenant-level ones (which price their chargers too)
    return stations ? q.where((w) => void w.whereNull('station_id').orWhereIn('station_id', stations)) : q;
  }

  private filteredPlans(trx: Knex.Transaction, scope: TariffReadScope, filter: PlanFilter) {
    let q = this.scopedPlans(trx, scope);
    if (filter.stationId !== undefined) q = ofStation(q, filter.stationId);
    if (!filter.includeRetired) q = q.where('status', 'ACTIVE');
    return q;
  }

  listPlans(scope: TariffReadScope, filter: PlanFilter & { limit: number }): Promise<PlanRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) =>
      (await this.filteredPlans(trx, scope, filter).orderByRaw('station_id nulls first, name, id').limit(filter.limit)).map(toPlan),
    );
  }

  /**
   * A keyset page of plans in the list's order — tenant-level first, then by station, name, id
   * (station as text: '' before any id, as nulls first) — up to size + 1, in list order.
   */
  pagePlans(scope: TariffReadScope, filter: PlanFilter, page: KeysetWindow<PlanKey>): Promise<PlanRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const q = this.filteredPlans(trx, scope, filter);
      // objection's builder takes the same calls as knex's (it wraps one)
      keysetQuery(q as unknown as Knex.QueryBuilder, page, {
        columns: [trx.raw("coalesce(station_id::text, '')"), 'name', 'id'],
        types: [null, null, 'uuid'],
        order: 'asc',
        values: (k) => [k.s, k.n, k.id],
      });
      return keysetRows(await q, page).map(toPlan);
    });
  }

  plansByIds(scope: TariffReadScope, ids: readonly string[]): Promise<PlanRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => (await this.scopedPlans(trx, scope).whereIn('id', ids)).map(toPlan));
  }

  versionsByPlanIds(scope: TariffReadScope, planIds: readonly string[]): Promise<VersionRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const versions = await PlanVersionModel.query(trx)
        .whereIn('tenant_id', scope.tenantIds)
        .whereIn('plan_id', this.scopedPlans(trx, scope).select('id').whereIn('id', planIds))
        .orderBy(['plan_id', 'version']);
      return versions.map(toVersion);
    });
  }

  bindingsByChargerIds(scope: TariffReadScope, chargerIds: readonly string[]): Promise<BindingRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const q = BindingModel.query(trx).whereIn('tenant_id', scope.tenantIds).whereIn('charger_id', chargerIds);
      return (await (scope.stationIds ? q.whereIn('station_id', scope.stationIds) : q)).map(toBinding);
    });
  }
}
