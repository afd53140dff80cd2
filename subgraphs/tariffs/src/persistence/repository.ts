import { TariffEvents, type TariffEvent } from '@evcs/events';
import { Knex, OutboxWriter, withTenant, withTenantScope } from '@evcs/platform';
import type { SegmentInput } from '../domain/plan';
import type {
  BindingRecord,
  ChargerProtocol,
  PlanRecord,
  PlanStatus,
  Resolution,
  TariffReadScope,
  TariffStore,
  TariffTx,
  VersionRecord,
} from '../domain/ports';

interface PlanRow {
  id: string;
  tenant_id: string;
  station_id: string | null;
  name: string;
  currency: string;
  timezone: string;
  status: PlanStatus;
  is_default: boolean;
  created_at: Date;
  updated_at: Date;
}
interface VersionRow {
  plan_id: string;
  version: number;
  effective_from: Date;
  segments: SegmentInput[];
  created_at: Date;
  created_by: string | null;
}
interface BindingRow {
  charger_id: string;
  station_id: string;
  protocol: ChargerProtocol;
  plan_id: string;
  bound_at: Date;
}

const PLAN_COLUMNS = ['id', 'tenant_id', 'station_id', 'name', 'currency', 'timezone', 'status', 'is_default', 'created_at', 'updated_at'];
const VERSION_COLUMNS = ['plan_id', 'version', 'effective_from', 'segments', 'created_at', 'created_by'];
const BINDING_COLUMNS = ['charger_id', 'station_id', 'protocol', 'plan_id', 'bound_at'];

const toPlan = (r: PlanRow): PlanRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  stationId: r.station_id,
  name: r.name,
  currency: r.currency.trim(),
  timezone: r.timezone,
  status: r.status,
  isDefault: r.is_default,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const toVersion = (r: VersionRow): VersionRecord => ({
  planId: r.plan_id,
  version: r.version,
  effectiveFrom: r.effective_from,
  segments: r.segments,
  createdAt: r.created_at,
  createdBy: r.created_by,
});
const toBinding = (r: BindingRow): BindingRecord => ({
  chargerId: r.charger_id,
  stationId: r.station_id,
  protocol: r.protocol,
  planId: r.plan_id,
  boundAt: r.bound_at,
});

/** Per-station (or tenant-level) lock key for the plan set: serialises the 16-plan count and default switches. */
const planSetLockKey = (tenantId: string, stationId: string | null) => `tariffs:plan-set:${tenantId}:${stationId ?? 'tenant'}`;

const outbox = new OutboxWriter('tariffs');

class PgTariffTx implements TariffTx {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly tenantId: string,
  ) {}

  async announce(events: readonly TariffEvent[]): Promise<void> {
    await outbox.enqueueAll(this.trx, TariffEvents, events);
  }

  private plans() {
    return this.trx('tariff_plans').where('tenant_id', this.tenantId);
  }

  async lockPlanSet(stationId: string | null): Promise<void> {
    await this.trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [planSetLockKey(this.tenantId, stationId)]);
  }

  async countActivePlans(stationId: string | null): Promise<number> {
    const q = this.plans().where('status', 'ACTIVE');
    const [{ n }] = await (stationId === null ? q.whereNull('station_id') : q.where('station_id', stationId)).count<{ n: string }[]>('* as n');
    return Number(n);
  }

  async lockPlan(planId: string): Promise<PlanRecord | null> {
    const row = (await this.plans().where('id', planId).forUpdate().first(PLAN_COLUMNS)) as PlanRow | undefined;
    return row ? toPlan(row) : null;
  }

  async insertPlan(p: Pick<PlanRecord, 'stationId' | 'name' | 'currency' | 'timezone' | 'isDefault'>): Promise<PlanRecord> {
    const [row] = await this.trx('tariff_plans')
      .insert({
        tenant_id: this.tenantId,
        station_id: p.stationId,
        name: p.name,
        currency: p.currency,
        timezone: p.timezone,
        is_default: p.isDefault,
        status: 'ACTIVE',
      })
      .returning(PLAN_COLUMNS);
    return toPlan(row as PlanRow);
  }

  async updatePlan(planId: string, patch: Partial<Pick<PlanRecord, 'name' | 'isDefault' | 'status'>>): Promise<PlanRecord> {
    const set: Record<string, unknown> = { updated_at: this.trx.fn.now() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.isDefault !== undefined) set.is_default = patch.isDefault;
    if (patch.status !== undefined) {
      set.status = patch.status;
      set.retired_at = patch.status === 'RETIRED' ? this.trx.fn.now() : null;
    }
    const [row] = await this.plans().where('id', planId).update(set).returning(PLAN_COLUMNS);
    return toPlan(row as PlanRow);
  }

  async clearDefaults(stationId: string | null, exceptPlanId: string | null): Promise<void> {
    let q = this.plans().where('is_default', true);
    if (exceptPlanId) q = q.whereNot('id', exceptPlanId);
    await (stationId === null ? q.whereNull('station_id') : q.where('station_id', stationId)).update({ is_default: false, updated_at: this.trx.fn.now() });
  }

  async versions(planId: string): Promise<VersionRecord[]> {
    const rows = (await this.trx('tariff_plan_versions')
      .where({ tenant_id: this.tenantId, plan_id: planId })
      .orderBy('version')
      .select(VERSION_COLUMNS)) as VersionRow[];
    return rows.map(toVersion);
  }

  async insertVersion(v: Omit<VersionRecord, 'createdAt'>): Promise<VersionRecord> {
    const [row] = await this.trx('tariff_plan_versions')
      .insert({
        tenant_id: this.tenantId,
        plan_id: v.planId,
        version: v.version,
        effective_from: v.effectiveFrom,
        segments: JSON.stringify(v.segments),
        created_by: v.createdBy,
      })
      .returning(VERSION_COLUMNS);
    return toVersion(row as VersionRow);
  }

  async binding(chargerId: string): Promise<BindingRecord | null> {
    const row = (await this.trx('charger_tariff_bindings').where({ tenant_id: this.tenantId, charger_id: chargerId }).first(BINDING_COLUMNS)) as
      BindingRow | undefined;
    return row ? toBinding(row) : null;
  }

  async upsertBinding(b: Omit<BindingRecord, 'boundAt'> & { boundBy: string }): Promise<BindingRecord> {
    const [row] = await this.trx('charger_tariff_bindings')
      .insert({ tenant_id: this.tenantId, charger_id: b.chargerId, station_id: b.stationId, protocol: b.protocol, plan_id: b.planId, bound_by: b.boundBy })
      .onConflict(['tenant_id', 'charger_id'])
      .merge({ station_id: b.stationId, protocol: b.protocol, plan_id: b.planId, bound_by: b.boundBy, bound_at: this.trx.fn.now() })
      .returning(BINDING_COLUMNS);
    return toBinding(row as BindingRow);
  }

  async deleteBinding(chargerId: string): Promise<BindingRecord | null> {
    const [row] = await this.trx('charger_tariff_bindings').where({ tenant_id: this.tenantId, charger_id: chargerId }).delete().returning(BINDING_COLUMNS);
    return row ? toBinding(row as BindingRow) : null;
  }

  async bindingsOfPlan(planId: string, protocol?: ChargerProtocol): Promise<BindingRecord[]> {
    const q = this.trx('charger_tariff_bindings').where({ tenant_id: this.tenantId, plan_id: planId });
    return ((await (protocol ? q.where('protocol', protocol) : q).select(BINDING_COLUMNS)) as BindingRow[]).map(toBinding);
  }
}

/**
 * Postgres behind the TariffStore port. Every query names the tenant(s) it may
 * touch (the data layer's isolation) and runs inside withTenant/withTenantScope
 * (RLS, the database's) — two layers that each hold on their own.
 */
export class PgTariffStore implements TariffStore {
  constructor(private readonly knex: Knex) {}

  inTenant<T>(tenantId: string, fn: (tx: TariffTx) => Promise<T>): Promise<T> {
    return withTenant(this.knex, tenantId, (trx) => fn(new PgTariffTx(trx, tenantId)));
  }

  private scopedPlans(trx: Knex.Transaction, scope: TariffReadScope) {
    const q = trx('tariff_plans').whereIn('tenant_id', scope.tenantIds);
    const stations = scope.stationIds;
    // station-scoped readers see their stations' plans and the tenant-level ones (which price their chargers too)
    return stations ? q.where((w) => void w.whereNull('station_id').orWhereIn('station_id', stations)) : q;
  }

  listPlans(scope: TariffReadScope, filter: { stationId?: string | null; includeRetired: boolean; limit: number }): Promise<PlanRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      let q = this.scopedPlans(trx, scope);
      if (filter.stationId === null) q = q.whereNull('station_id');
      else if (filter.stationId !== undefined) q = q.where('station_id', filter.stationId);
      if (!filter.includeRetired) q = q.where('status', 'ACTIVE');
      const rows = (await q.orderByRaw('station_id nulls first, name, id').limit(filter.limit).select(PLAN_COLUMNS)) as PlanRow[];
      return rows.map(toPlan);
    });
  }

  plansByIds(scope: TariffReadScope, ids: readonly string[]): Promise<PlanRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) =>
      ((await this.scopedPlans(trx, scope).whereIn('id', ids).select(PLAN_COLUMNS)) as PlanRow[]).map(toPlan),
    );
  }

  versionsByPlanIds(scope: TariffReadScope, planIds: readonly string[]): Promise<VersionRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const rows = (await trx('tariff_plan_versions')
        .whereIn('tenant_id', scope.tenantIds)
        .whereIn('plan_id', this.scopedPlans(trx, scope).select('id').whereIn('id', planIds))
        .orderBy(['plan_id', 'version'])
        .select(VERSION_COLUMNS)) as VersionRow[];
      return rows.map(toVersion);
    });
  }

  bindingsByChargerIds(scope: TariffReadScope, chargerIds: readonly string[]): Promise<BindingRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const q = trx('charger_tariff_bindings').whereIn('tenant_id', scope.tenantIds).whereIn('charger_id', chargerIds);
      return ((await (scope.stationIds ? q.whereIn('station_id', scope.stationIds) : q).select(BINDING_COLUMNS)) as BindingRow[]).map(toBinding);
    });
  }

  resolution(tenantId: string, chargerId: string, stationId: string | null): Promise<Resolution | null> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const r = await trx.raw<{ rows: Resolution[] }>(
        `select plan_id as "planId", source from (
           select b.plan_id, 'CHARGER' as source, 1 as rank
             from charger_tariff_bindings b join tariff_plans p on p.id = b.plan_id and p.tenant_id = b.tenant_id
            where b.tenant_id = :tenant and b.charger_id = :charger and p.status = 'ACTIVE'
           union all
           select p.id, 'STATION', 2 from tariff_plans p
            where p.tenant_id = :tenant and p.is_default and p.status = 'ACTIVE'
              and p.station_id = coalesce((select station_id from charger_tariff_bindings where tenant_id = :tenant and charger_id = :charger), :station::uuid)
           union all
           select p.id, 'TENANT', 3 from tariff_plans p
            where p.tenant_id = :tenant and p.is_default and p.status = 'ACTIVE' and p.station_id is null
         ) candidates order by rank limit 1`,
        { tenant: tenantId, charger: chargerId, station: stationId },
      );
      return r.rows[0] ?? null;
    });
  }

  planWithVersions(tenantId: string, planId: string): Promise<{ plan: PlanRecord; versions: VersionRecord[] } | null> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const plan = (await trx('tariff_plans').where({ tenant_id: tenantId, id: planId }).first(PLAN_COLUMNS)) as PlanRow | undefined;
      if (!plan) return null;
      const versions = (await trx('tariff_plan_versions')
        .where({ tenant_id: tenantId, plan_id: planId })
        .orderBy('version')
        .select(VERSION_COLUMNS)) as VersionRow[];
      return { plan: toPlan(plan), versions: versions.map(toVersion) };
    });
  }
}
