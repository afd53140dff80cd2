import { inTenantInOneTrip, Knex, TenantBatches, withTenant } from '@evcs/platform';
import type { ChargerInfo, ChargerProjectionStore, ChargerSnapshot } from '../domain/ports';

interface ProjectionRow {
  tenant_id: string;
  charger_id: string;
  code: string;
  station_id: string;
  timezone: string | null;
  protocol: 'OCPP16' | 'YKC';
  connector_nos: number[];
  retired: boolean;
  revision: string;
}

const toSnapshot = (r: ProjectionRow): ChargerSnapshot => ({
  chargerId: r.charger_id,
  code: r.code,
  stationId: r.station_id,
  timezone: r.timezone,
  protocol: r.protocol,
  connectorNos: r.connector_nos,
  retired: r.retired,
  revision: Number(r.revision),
});

/**
 * orders.charger_projection. A read joins the consumer's batch open for the tenant (the orders
 * store's, TenantBatches.for the same pool) — one statement on the connection it holds —, or
 * else is one round trip of its own (BEGIN with the tenant, the query, COMMIT, pipelined):
 * bench:starts runs one per start, bench:ingest one per session start. Every statement names
 * the tenant; row-level security confines it as well.
 */
export class PgChargerProjection implements ChargerProjectionStore {
  private readonly batches: TenantBatches;

  constructor(private readonly knex: Knex) {
    this.batches = TenantBatches.for(knex);
  }

  private async one(tenantId: string, where: Record<string, unknown>): Promise<ChargerSnapshot | null> {
    const trx = this.batches.current(tenantId);
    const query = (trx ?? this.knex)('orders.charger_projection')
      .where({ tenant_id: tenantId, ...where })
      .orderBy('revision', 'desc')
      .limit(1);
    const rows = trx ? await query : (await inTenantInOneTrip(this.knex, tenantId, [query]))[0];
    const row = (rows as unknown as ProjectionRow[])[0];
    return row ? toSnapshot(row) : null;
  }

  byId(tenantId: string, chargerId: string): Promise<ChargerSnapshot | null> {
    return this.one(tenantId, { charger_id: chargerId });
  }

  byCode(tenantId: string, code: string): Promise<ChargerSnapshot | null> {
    return this.one(tenantId, { code, retired: false });
  }

  async apply(tenantId: string, snapshots: readonly ChargerSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    // The newest of each charger in the call (one INSERT cannot touch a row twice).
    const newest = new Map<string, ChargerSnapshot>();
    for (const s of snapshots) if ((newest.get(s.chargerId)?.revision ?? -1) < s.revision) newest.set(s.chargerId, s);
    await withTenant(this.knex, tenantId, async (trx) => {
      await trx('orders.charger_projection')
        .insert([...newest.values()].map((s) => this.row(tenantId, s)))
        .onConflict(['tenant_id', 'charger_id'])
        .merge({
          code: trx.ref('excluded.code'),
          station_id: trx.ref('excluded.station_id'),
          timezone: trx.ref('excluded.timezone'),
          protocol: trx.ref('excluded.protocol'),
          connector_nos: trx.ref('excluded.connector_nos'),
          retired: trx.ref('excluded.retired'),
          revision: trx.ref('excluded.revision'),
          updated_at: trx.fn.now(),
        })
        .where('charger_projection.revision', '<', trx.ref('excluded.revision'));
    });
  }

  async remember(tenantId: string, c: ChargerInfo): Promise<void> {
    // in the consumer's batch when one is open (its connection; rolled back with it, harmlessly)
    await this.batches.run(tenantId, async (trx) => {
      await trx('orders.charger_projection')
        .insert(this.row(tenantId, { ...c, retired: false, revision: 0 }))
        .onConflict(['tenant_id', 'charger_id'])
        .ignore();
    });
  }

  private row(tenantId: string, s: ChargerSnapshot): Record<string, unknown> {
    return {
      tenant_id: tenantId,
      charger_id: s.chargerId,
      code: s.code,
      station_id: s.stationId,
      timezone: s.timezone ?? null,
      protocol: s.protocol,
      connector_nos: s.connectorNos,
      retired: s.retired,
      revision: s.revision,
    };
  }
}
