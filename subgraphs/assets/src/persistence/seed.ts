import { Knex, withTenant } from '@evcs/platform';

export interface DemoStation {
  code: string;
  name: string;
  chargers: { code: string; connectors: number; currentType?: 'AC' | 'DC'; ratedPowerKw?: number }[];
}

/** Idempotent demo/test data for one tenant (through RLS, as the app role). */
export async function seedDemoAssets(knex: Knex, tenantId: string, stations: DemoStation[]): Promise<void> {
  await withTenant(knex, tenantId, async (trx) => {
    for (const s of stations) {
      const [st] = await trx('stations')
        .insert({ tenant_id: tenantId, code: s.code, name: s.name, timezone: 'Asia/Shanghai', status: 'OPERATING' })
        .onConflict(['tenant_id', 'code'])
        .merge(['name'])
        .returning('id');
      for (const c of s.chargers) {
        const [ch] = await trx('chargers')
          .insert({ tenant_id: tenantId, station_id: st.id, code: c.code, current_type: c.currentType ?? 'DC', rated_power_kw: c.ratedPowerKw ?? 120, protocol: 'OCPP16' })
          .onConflict('code')
          .merge(['station_id'])
          .returning('id');
        for (let n = 1; n <= c.connectors; n++) {
          await trx('connectors').insert({ tenant_id: tenantId, charger_id: ch.id, connector_no: n, plug_type: c.currentType === 'AC' ? 'GBT_AC' : 'GBT_DC' }).onConflict(['charger_id', 'connector_no']).ignore();
        }
      }
    }
  });
}
