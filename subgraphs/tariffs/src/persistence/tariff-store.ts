import { TariffEvents, type TariffEvent } from '@evcs/events';
import { appendAuditEntry, type AuditEntryInput, Knex, OutboxWriter, withTenant } from '@evcs/platform';
import { raw, type PartialModelObject, type QueryBuilder } from 'objection';
import type { BindingRecord, ChargerProtocol, PlanGraph, PlanRecord, Resolution, TariffStore, TariffTx, VersionRecord } from '../domain/ports';
import { BindingModel, PlanModel, PlanVersionModel } from './models';

export const toPlan = (m: PlanModel): PlanRecord => ({
  id: m.id,
  tenantId: m.tenantId,
  stationId: m.stationId,
  name: m.name,
  currency: m.currency.trim(),
  timezone: m.timezone,
  status: m.status,
  isDefault: m.isDefault,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
});
export const toVersion = (m: PlanVersionModel): VersionRecord => ({
  planId: m.planId,
  version: m.version,
  effectiveFrom: m.effectiveFrom,
  segments: m.segments,
  createdAt: m.createdAt,
  createdBy: m.createdBy,
});
export const toBinding = (m: BindingModel): BindingRecord => ({
  chargerId: m.chargerId,
  stationId: m.stationId,
  protocol: m.protocol,
  planId: m.planId,
  boundAt: m.boundAt,
});

/** Per-station (or tenant-level) lock key for the plan set: serialises the 16-plan count and default switches. */
const planSetLockKey = (tenantId: string, stationId: string | null) => `tariffs:plan-set:${tenantId}:${stationId ?? 'tenant'}`;

/** The plans of one station, or with null the tenant-level ones. */
export const ofStation = <M extends PlanModel>(q: QueryBuilder<M, M[]>, stationId: string | null) =>
  stationId === null ? q.whereNull('station_id') : q.where('station_id', stationId);

const now = () => raw('now()');

const outbox = new OutboxWriter('tariffs');

class PgTariffTx implements TariffTx {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly tenantId: string,
  ) {}

  async announce(events: readonly TariffEvent[]): Promise<void> {
    await outbox.enqueueAll(this.trx, TariffEvents, events);
  }

  async audit(entry: Omit<AuditEntryInput, 'tenantId'>): Promise<void> {
    await appendAuditEntry(this.trx, { ...entry, tenantId: this.tenantId });
  }

  private plans() {
    return PlanModel.query(this.trx).where('tenant_id', this.tenantId);
  }

  async lockPlanSet(stationId: string | null): Promise<void> {
    await this.trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [planSetLockKey(this.tenantId, stationId)]);
  }

  async countActivePlans(stationId: string | null): Promise<number> {
    return ofStation(this.plans().where('status', 'ACTIVE'), stationId).resultSize();
  }

  async lockPlan(planId: string): Promise<PlanRecord | null> {
    const plan = await this.plans().findById(planId).forUpdate();
    return plan ? toPlan(plan) : null;
  }

  async lockPlanGraph(planId: string, bindingsOf?: ChargerProtocol): Promise<PlanGraph | null> {
    const plan = await this.plans()
      .findById(planId)
      .forUpdate()
      .withGraphFetched('[versions, bindings]')
      .modifyGraph('versions', (q) => void q.where('tenant_id', this.tenantId).orderBy('version'))
      .modifyGraph('bindings', (q) => void (bindingsOf ? q.where({ tenant_id: this.tenantId, protocol: bindingsOf }) : q.where('tenant_id', this.tenantId)));
    return plan ? { plan: toPlan(plan), versions: (plan.versions ?? []).map(toVersion), bindings: (plan.bindings ?? []).map(toBinding) } : null;
  }

  async insertPlan(p: Pick<PlanRecord, 'stationId' | 'name' | 'currency' | 'timezone' | 'isDefault'>): Promise<PlanRecord> {
    const plan = await PlanModel.query(this.trx)
      .insert({
        tenantId: this.tenantId,
        stationId: p.stationId,
        name: p.name,
        currency: p.currency,
        timezone: p.timezone,
        isDefault: p.isDefault,
        status: 'ACTIVE',
      })
      .returning('*');
    return toPlan(plan);
  }

  async updatePlan(planId: string, patch: Partial<Pick<PlanRecord, 'name' | 'isDefault' | 'status'>>): Promise<PlanRecord> {
    const set: PartialModelObject<PlanModel> = { updatedAt: now() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.isDefault !== undefined) set.isDefault = patch.isDefault;
    if (patch.status !== undefined) {
      set.status = patch.status;
      set.retiredAt = patch.status === 'RETIRED' ? now() : null;
    }
    const [plan] = await this.plans().where('id', planId).patch(set).returning('*');
    return toPlan(plan);
  }

  async clearDefaults(stationId: string | null, exceptPlanId: string | null): Promise<void> {
    const q = ofStation(this.plans().where('is_default', true), stationId);
    if (exceptPlanId) q.whereNot('id', exceptPlanId);
    await q.patch({ isDefault: false, updatedAt: now() });
  }

  async versions(planId: string): Promise<VersionRecord[]> {
    const versions = await PlanModel.relatedQuery('versions', this.trx).for(planId).where('tenant_id', this.tenantId).orderBy('version');
    return versions.map(toVersion);
  }

  async insertVersion(v: Omit<VersionRecord, 'createdAt'>): Promise<VersionRecord> {
    const version = await PlanVersionModel.query(this.trx)
      .insert({ tenantId: this.tenantId, planId: v.planId, version: v.version, effectiveFrom: v.effectiveFrom, segments: v.segments, createdBy: v.createdBy })
      .returning('*');
    return toVersion(version);
  }

  private bindings() {
    return BindingModel.query(this.trx).where('tenant_id', this.tenantId);
  }

  async binding(chargerId: string): Promise<BindingRecord | null> {
    const binding = await this.bindings().findById([this.tenantId, chargerId]);
    return binding ? toBinding(binding) : null;
  }

  async upsertBinding(b: Omit<BindingRecord, 'boundAt'> & { boundBy: string }): Promise<BindingRecord> {
    const binding = await BindingModel.query(this.trx)
      .insert({ tenantId: this.tenantId, chargerId: b.chargerId, stationId: b.stationId, protocol: b.protocol, planId: b.planId, boundBy: b.boundBy })
      .onConflict(['tenant_id', 'charger_id'])
      .merge({ stationId: b.stationId, protocol: b.protocol, planId: b.planId, boundBy: b.boundBy, boundAt: now() })
      .returning('*');
    return toBinding(binding);
  }

  async deleteBinding(chargerId: string): Promise<BindingRecord | null> {
    const [binding] = await this.bindings().where('charger_id', chargerId).delete().returning('*');
    return binding ? toBinding(binding) : null;
  }

  async bindingsOfPlan(planId: string, protocol?: ChargerProtocol): Promise<BindingRecord[]> {
    const q = PlanModel.relatedQuery('bindings', this.trx).for(planId).where('tenant_id', this.tenantId);
    return (await (protocol ? q.where('protocol', protocol) : q)).map(toBinding);
  }
}

/**
 * Postgres behind the TariffStore port: the changes, and what pricing reads. Every query
 * names the tenant it may touch (the data layer's isolation) and runs inside withTenant
 * (RLS, the database's) — two layers that each hold on their own.
 */
export class PgTariffStore implements TariffStore {
  constructor(private readonly knex: Knex) {}

  inTenant<T>(tenantId: string, fn: (tx: TariffTx) => Promise<T>): Promise<T> {
    return withTenant(this.knex, tenantId, (trx) => fn(new PgTariffTx(trx, tenantId)));
  }

  resolution(tenantId: string, chargerId: string, stationId: string | null): Promise<Resolution | null> {
    return withTenant(this.knex, tenantId, async (trx) => {
      // One statement for the three-step fallback (binding, station default, tenant default): every priced
      // session asks it (through the plan cache), so it stays one round trip rather than a graph walk.
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
      const plan = await PlanModel.query(trx)
        .where('tenant_id', tenantId)
        .findById(planId)
        .withGraphFetched('versions')
        .modifyGraph('versions', (q) => void q.where('tenant_id', tenantId).orderBy('version'));
      return plan ? { plan: toPlan(plan), versions: (plan.versions ?? []).map(toVersion) } : null;
    });
  }
}
