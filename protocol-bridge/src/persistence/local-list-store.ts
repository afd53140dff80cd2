import { inTenantInOneTrip, Knex } from '@evcs/platform';
import type { LocalListState, LocalListStore } from '../ports';

export class MemoryLocalListStore implements LocalListStore {
  private readonly rows = new Map<string, LocalListState>();
  async get(tenantId: string, chargerCode: string): Promise<LocalListState | null> {
    return this.rows.get(`${tenantId}|${chargerCode}`) ?? null;
  }
  async set(tenantId: string, chargerCode: string, state: LocalListState): Promise<void> {
    this.rows.set(`${tenantId}|${chargerCode}`, state);
  }
}

export class PgLocalListStore implements LocalListStore {
  constructor(private readonly knex: Knex) {}

  async get(tenantId: string, chargerCode: string): Promise<LocalListState | null> {
    const [rows] = await inTenantInOneTrip(this.knex, tenantId, [
      this.knex('bridge.local_auth_lists').select('supported', 'list_version').where({ tenant_id: tenantId, charger_code: chargerCode }),
    ]);
    const r = (rows as unknown as { supported: boolean; list_version: number | null }[])[0];
    return r ? { supported: r.supported, version: r.list_version } : null;
  }

  async set(tenantId: string, chargerCode: string, state: LocalListState): Promise<void> {
    await inTenantInOneTrip(this.knex, tenantId, [
      this.knex.raw(
        `insert into bridge.local_auth_lists (charger_code, tenant_id, supported, list_version, synced_at) values (?, ?, ?, ?, now())
         on conflict (charger_code) do update set tenant_id = excluded.tenant_id, supported = excluded.supported, list_version = excluded.list_version, synced_at = now()`,
        [chargerCode, tenantId, state.supported, state.version],
      ),
    ]);
  }
}
