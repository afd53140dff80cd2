import { Knex, withTenantScope } from '@evcs/platform';

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

/** What a request may read: its tenants, and optionally only some stations. */
export interface AssetsReadScope {
  tenantId: string;
  tenantIds: readonly string[];
  /** null = every station of those tenants */
  stationIds: readonly string[] | null;
}

/**
 * Reads, always within the request's scope: the explicit tenant (and station)
 * filters are the data layer's isolation, and RLS (via withTenantScope) is the
 * database's — two layers that each hold on their own.
 */
export class AssetsReadRepository {
  constructor(private readonly knex: Knex) {}

  private read<T>(scope: AssetsReadScope, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return withTenantScope(this.knex, scope, fn);
  }

  private stations(trx: Knex.Transaction, scope: AssetsReadScope) {
    const q = trx<StationRow>('stations').whereIn('tenant_id', scope.tenantIds);
    return scope.stationIds ? q.whereIn('id', scope.stationIds) : q;
  }

  private chargers(trx: Knex.Transaction, scope: AssetsReadScope) {
    const q = trx<ChargerRow>('chargers').whereIn('tenant_id', scope.tenantIds);
    return scope.stationIds ? q.whereIn('station_id', scope.stationIds) : q;
  }

  private connectors(trx: Knex.Transaction, scope: AssetsReadScope) {
    const q = trx<ConnectorRow>('connectors').whereIn('tenant_id', scope.tenantIds);
    return scope.stationIds
      ? q.whereIn('charger_id', trx('chargers').select('id').whereIn('tenant_id', scope.tenantIds).whereIn('station_id', scope.stationIds))
      : q;
  }

  listStations(scope: AssetsReadScope, limit: number): Promise<StationRow[]> {
    return this.read(scope, (trx) => this.stations(trx, scope).orderBy('code').limit(limit));
  }

  stationsByIds(scope: AssetsReadScope, ids: readonly string[]): Promise<StationRow[]> {
    return this.read(scope, (trx) => this.stations(trx, scope).whereIn('id', ids));
  }

  chargersByIds(scope: AssetsReadScope, ids: readonly string[]): Promise<ChargerRow[]> {
    return this.read(scope, (trx) => this.chargers(trx, scope).whereIn('id', ids));
  }

  chargersByCodes(scope: AssetsReadScope, codes: readonly string[]): Promise<ChargerRow[]> {
    return this.read(scope, (trx) => this.chargers(trx, scope).whereIn('code', codes));
  }

  chargersByStationIds(scope: AssetsReadScope, stationIds: readonly string[]): Promise<ChargerRow[]> {
    return this.read(scope, (trx) => this.chargers(trx, scope).whereIn('station_id', stationIds).orderBy('code'));
  }

  connectorsByIds(scope: AssetsReadScope, ids: readonly string[]): Promise<ConnectorRow[]> {
    return this.read(scope, (trx) => this.connectors(trx, scope).whereIn('id', ids));
  }

  connectorsByChargerIds(scope: AssetsReadScope, chargerIds: readonly string[]): Promise<ConnectorRow[]> {
    return this.read(scope, (trx) => this.connectors(trx, scope).whereIn('charger_id', chargerIds).orderBy('connector_no'));
  }

  /** Cross-tenant by design (see the SQL function); only for service identities. */
  async resolveRegistration(code: string): Promise<ChargerRegistrationRow | null> {
    const res = await this.knex.raw<{ rows: ChargerRegistrationRow[] }>('select * from assets.resolve_charger_registration(?)', [code]);
    return res.rows[0] ?? null;
  }
}
