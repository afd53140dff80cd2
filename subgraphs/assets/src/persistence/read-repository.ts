import { Knex, withTenant } from '@evcs/platform';

export interface StationRow {
  id: string;
  tenant_id: string;
  code: string;
  name: string;
  address: string | null;
  timezone: string;
  status: string;
}
export interface ChargerRow {
  id: string;
  tenant_id: string;
  station_id: string;
  code: string;
  current_type: string;
  protocol: string;
  vendor: string | null;
  model: string | null;
  firmware_version: string | null;
  online: boolean;
  last_seen_at: Date | null;
}
export interface ConnectorRow {
  id: string;
  tenant_id: string;
  charger_id: string;
  connector_no: number;
  status: string;
  error_code: string | null;
  status_at: Date | null;
}
export interface ChargerRegistrationRow {
  charger_id: string;
  tenant_id: string;
  station_id: string;
}

/**
 * Reads, always within one tenant: the explicit `tenant_id = ?` is the data
 * layer's isolation, and RLS (via withTenant) is the database's — two layers
 * that each hold on their own.
 */
export class AssetsReadRepository {
  constructor(private readonly knex: Knex) {}

  listStations(tenantId: string, limit: number): Promise<StationRow[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<StationRow>('stations').where({ tenant_id: tenantId }).orderBy('code').limit(limit));
  }

  stationsByIds(tenantId: string, ids: readonly string[]): Promise<StationRow[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<StationRow>('stations').where({ tenant_id: tenantId }).whereIn('id', ids));
  }

  chargersByIds(tenantId: string, ids: readonly string[]): Promise<ChargerRow[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<ChargerRow>('chargers').where({ tenant_id: tenantId }).whereIn('id', ids));
  }

  chargersByCodes(tenantId: string, codes: readonly string[]): Promise<ChargerRow[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<ChargerRow>('chargers').where({ tenant_id: tenantId }).whereIn('code', codes));
  }

  chargersByStationIds(tenantId: string, stationIds: readonly string[]): Promise<ChargerRow[]> {
    return withTenant(this.knex, tenantId, (trx) =>
      trx<ChargerRow>('chargers').where({ tenant_id: tenantId }).whereIn('station_id', stationIds).orderBy('code'),
    );
  }

  connectorsByIds(tenantId: string, ids: readonly string[]): Promise<ConnectorRow[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<ConnectorRow>('connectors').where({ tenant_id: tenantId }).whereIn('id', ids));
  }

  connectorsByChargerIds(tenantId: string, chargerIds: readonly string[]): Promise<ConnectorRow[]> {
    return withTenant(this.knex, tenantId, (trx) =>
      trx<ConnectorRow>('connectors').where({ tenant_id: tenantId }).whereIn('charger_id', chargerIds).orderBy('connector_no'),
    );
  }

  /** Cross-tenant by design (see the SQL function); only for service identities. */
  async resolveRegistration(code: string): Promise<ChargerRegistrationRow | null> {
    const res = await this.knex.raw<{ rows: ChargerRegistrationRow[] }>('select * from assets.resolve_charger_registration(?)', [code]);
    return res.rows[0] ?? null;
  }
}
