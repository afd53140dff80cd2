import { Knex, withTenant } from '@evcs/platform';
import { publishChargers } from './charger-events';

export interface DemoStation {
  code: string;
  name: string;
  chargers: { code: string; connectors: number; currentType?: 'AC' | 'DC'; ratedPowerKw?: number; protocol?: 'OCPP16' | 'YKC' }[];
}

/**
 * Idempotent demo/test data for one tenant (through RLS, as the app role). Its chargers are
 * published as registered (asset events), as chargers created through the API are. Returns the
 * stations' ids by code.
 */
export async function seedDemoAssets(knex: Knex, tenantId: string, stations: DemoStation[]): Promise<Record<string, string>> {
  return withTenant(knex, tenantId, async (trx) => {
    /** station ids by code (a station seeded before keeps its id) */
    const stationIds: Record<string, string> = {};
    for (const s of stations) {
      const [st] = await trx('stations')
        .insert({ tenant_id: tenantId, code: s.code, name: s.name, timezone: 'Asia/Shanghai', status: 'OPERATING' })
        .onConflict(['tenant_id', 'code'])
        .merge(['name'])
        .returning('id');
      stationIds[s.code] = st.id;
      const ids: string[] = [];
      for (const c of s.chargers) {
        // the conflict target is the partial unique index on active chargers' codes
        const {
          rows: [ch],
        } = await trx.raw<{ rows: { id: string }[] }>(
          `insert into chargers (tenant_id, station_id, code, current_type, rated_power_kw, protocol) values (?, ?, ?, ?, ?, ?)
           on conflict (code) where registration_state = 'REGISTERED' do update set station_id = excluded.station_id, protocol = excluded.protocol returning id`,
          // a 14-digit code is a YKC pile number (the bridge admits a pile only if assets says it is one)
          [tenantId, st.id, c.code, c.currentType ?? 'DC', c.ratedPowerKw ?? 120, c.protocol ?? (/^\d{14}$/.test(c.code) ? 'YKC' : 'OCPP16')],
        );
        ids.push(ch.id);
        for (let n = 1; n <= c.connectors; n++) {
          await trx('connectors')
            .insert({ tenant_id: tenantId, charger_id: ch.id, connector_no: n, plug_type: c.currentType === 'AC' ? 'GBT_AC' : 'GBT_DC' })
            .onConflict(['charger_id', 'connector_no'])
            .ignore();
        }
      }
      await publishChargers(trx, tenantId, ids, 'charger.registered');
    }
    return stationIds;
  });
}
