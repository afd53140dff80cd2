import { Knex, keysetQuery, keysetRows, readInTenantScope, withTenantScope } from '@evcs/platform';
import type {
  AssetsReadScope,
  ChargerFilter,
  ChargerRow,
  CodeKey,
  ConnectorRow,
  Page,
  StationFilter,
  StationRow,
  StationStatsRow,
  StatusHistoryRow,
} from '../domain/read-model';

export type { AssetsReadScope, ChargerFilter, ChargerRow, CodeKey, ConnectorRow, Page, StationFilter, StationRow, StationStatsRow, StatusHistoryRow };

export interface ChargerRegistrationRow {
  charger_id: string;
  tenant_id: string;
  station_id: string;
  protocol: string;
  security_profile: number | null;
  password_hash: string | null;
  ykc_identity: Record<string, unknown> | null;
  ykc_identity_source: string | null;
  allowed_source_cidrs: string[];
  des_key_ref: string | null;
  allow_profile0_commissioning: boolean;
  learn_ykc_identity_on_first_login: boolean;
  tenant_allowed_source_cidrs: string[];
  credential_revoked_at: Date | null;
}

/** `LIKE` treats % and _ as wildcards; a user's prefix or search text must match literally. */
const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/**
 * Reads, always within the request's scope: the explicit tenant (and station)
 * filters are the data layer's isolation, and RLS (via withTenantScope) is the
 * database's — two layers that each hold on their own.
 *
 * Why knex and not the objection models (persistence/models, used by the writes): these are
 * the hot read paths of `npm run bench:router` (docs/benchmarks.md, "Router queries": the
 * `stations`, nested stations → chargers → connectors and "with stats" scenarios). Each runs as
 * one pipelined round trip (readInTenantScope: BEGIN + tenant, query, COMMIT in one socket
 * write), which took `stations` from 1,375 to 1,887 req/s and nested from 408 to 528; an
 * objection query runs on a transaction of its own round trips and builds model instances the
 * GraphQL layer does not need.
 */
export class AssetsReadRepository {
  constructor(private readonly knex: Knex) {}

  /** One query, in a tenant transaction sent in one round trip (readInTenantScope). */
  private async read<T>(scope: AssetsReadScope, build: (k: Knex) => Knex.QueryBuilder | Knex.Raw): Promise<T> {
    const [rows] = await readInTenantScope(this.knex, scope, [build(this.knex)]);
    return rows as T;
  }

  /** Queries that depend on one another's results. */
  private inTransaction<T>(scope: AssetsReadScope, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return withTenantScope(this.knex, scope, fn);
  }

  private stations(trx: Knex, scope: AssetsReadScope) {
    const q = trx<StationRow>('stations').whereIn('stations.tenant_id', scope.tenantIds);
    return scope.stationIds ? q.whereIn('stations.id', scope.stationIds) : q;
  }

  private chargers(trx: Knex, scope: AssetsReadScope) {
    const q = trx<ChargerRow>('chargers').whereIn('chargers.tenant_id', scope.tenantIds);
    return scope.stationIds ? q.whereIn('chargers.station_id', scope.stationIds) : q;
  }

  private connectors(trx: Knex, scope: AssetsReadScope) {
    const q = trx<ConnectorRow>('connectors').whereIn('connectors.tenant_id', scope.tenantIds);
    return scope.stationIds
      ? q.whereIn(
          'connectors.charger_id',
          trx('chargers as scoped').select('scoped.id').whereIn('scoped.tenant_id', scope.tenantIds).whereIn('scoped.station_id', scope.stationIds),
        )
      : q;
  }

  private static filterStations(q: Knex.QueryBuilder, f: StationFilter): Knex.QueryBuilder {
    if (!f.includeRetired) q.whereNull('stations.retired_at');
    if (f.status?.length) q.whereIn('stations.status', f.status);
    if (f.codePrefix) q.whereLike('stations.code', `${likeLiteral(f.codePrefix)}%`);
    if (f.search) {
      const pattern = `%${likeLiteral(f.search)}%`;
      q.where(function () {
        void this.whereILike('stations.code', pattern).orWhereILike('stations.name', pattern).orWhereILike('stations.address', pattern);
      });
    }
    return q;
  }

  private static filterChargers(trx: Knex, q: Knex.QueryBuilder, f: ChargerFilter): Knex.QueryBuilder {
    if (!f.includeRetired) q.where('chargers.registration_state', 'REGISTERED');
    if (f.stationIds) q.whereIn('chargers.station_id', f.stationIds);
    if (f.online !== null && f.online !== undefined) q.where('chargers.online', f.online);
    if (f.protocol) q.where('chargers.protocol', f.protocol);
    if (f.currentType) q.where('chargers.current_type', f.currentType);
    if (f.codePrefix) q.whereLike('chargers.code', `${likeLiteral(f.codePrefix)}%`);
    if (f.connectorStatus?.length) {
      q.whereExists(
        trx('connectors as cs')
          .select(trx.raw('1'))
          .whereRaw('cs.charger_id = chargers.id and cs.tenant_id = chargers.tenant_id')
          .whereNull('cs.retired_at')
          .whereIn('cs.status', f.connectorStatus),
      );
    }
    return q;
  }

  private static keyset(q: Knex.QueryBuilder, table: string, page: Page): Knex.QueryBuilder {
    return keysetQuery(q, page, { columns: [`${table}.code`, `${table}.id`], types: [null, 'uuid'], order: 'asc', values: (k) => [k.code, k.id] });
  }

  /** Stations in (code, id) order, a keyset page: up to size + 1 rows in list order. bench:router `stations` (pipelined). */
  async pageStations(scope: AssetsReadScope, filter: StationFilter, page: Page): Promise<StationRow[]> {
    const rows = await this.read<StationRow[]>(scope, (trx) =>
      AssetsReadRepository.keyset(AssetsReadRepository.filterStations(this.stations(trx, scope), filter), 'stations', page).select('stations.*'),
    );
    return keysetRows(rows, page);
  }

  async countStations(scope: AssetsReadScope, filter: StationFilter): Promise<number> {
    const [{ n }] = await this.read<{ n: string }[]>(scope, (trx) =>
      AssetsReadRepository.filterStations(this.stations(trx, scope), filter).count<{ n: string }[]>('* as n'),
    );
    return Number(n);
  }

  /** bench:router nested/`chargers` lists (pipelined). */
  async pageChargers(scope: AssetsReadScope, filter: ChargerFilter, page: Page): Promise<ChargerRow[]> {
    const rows = await this.read<ChargerRow[]>(scope, (trx) =>
      AssetsReadRepository.keyset(AssetsReadRepository.filterChargers(trx, this.chargers(trx, scope), filter), 'chargers', page).select('chargers.*'),
    );
    return keysetRows(rows, page);
  }

  async countChargers(scope: AssetsReadScope, filter: ChargerFilter): Promise<number> {
    const [{ n }] = await this.read<{ n: string }[]>(scope, (trx) =>
      AssetsReadRepository.filterChargers(trx, this.chargers(trx, scope), filter).count<{ n: string }[]>('* as n'),
    );
    return Number(n);
  }

  // The loaders' batches (persistence/loaders.ts): bench:router nested, one pipelined read per batch.
  stationsByIds(scope: AssetsReadScope, ids: readonly string[]): Promise<StationRow[]> {
    return this.read(scope, (trx) => this.stations(trx, scope).whereIn('id', ids));
  }

  chargersByIds(scope: AssetsReadScope, ids: readonly string[]): Promise<ChargerRow[]> {
    return this.read(scope, (trx) => this.chargers(trx, scope).whereIn('id', ids));
  }

  /** By connection identity: active chargers only (a retired charger's code may belong to a new one). */
  chargersByCodes(scope: AssetsReadScope, codes: readonly string[]): Promise<ChargerRow[]> {
    return this.read(scope, (trx) => this.chargers(trx, scope).whereIn('code', codes).where('registration_state', 'REGISTERED'));
  }

  /** The active chargers of stations. */
  chargersByStationIds(scope: AssetsReadScope, stationIds: readonly string[]): Promise<ChargerRow[]> {
    return this.read(scope, (trx) =>
      this.chargers(trx, scope).whereIn('station_id', stationIds).where('registration_state', 'REGISTERED').orderBy(['code', 'id']),
    );
  }

  connectorsByIds(scope: AssetsReadScope, ids: readonly string[]): Promise<ConnectorRow[]> {
    return this.read(scope, (trx) => this.connectors(trx, scope).whereIn('id', ids));
  }

  /** The active connectors of chargers. */
  connectorsByChargerIds(scope: AssetsReadScope, chargerIds: readonly string[]): Promise<ConnectorRow[]> {
    return this.read(scope, (trx) => this.connectors(trx, scope).whereIn('charger_id', chargerIds).whereNull('retired_at').orderBy('connector_no'));
  }

  /**
   * Per-station aggregates in two grouped queries whatever the number of
   * stations: active chargers (total, online) and active connectors by status.
   * bench:router "with stats": both grouped queries in one pipelined round trip.
   */
  async stationStats(scope: AssetsReadScope, stationIds: readonly string[]): Promise<StationStatsRow[]> {
    const trx = this.knex;
    const [chargers, connectors] = await readInTenantScope(this.knex, scope, [
      this.chargers(trx, scope)
        .whereIn('chargers.station_id', stationIds)
        .where('chargers.registration_state', 'REGISTERED')
        .groupBy('chargers.station_id')
        .select('chargers.station_id', trx.raw('count(*)::int as total'), trx.raw('(count(*) filter (where online))::int as online')),
      this.connectors(trx, scope)
        .join('chargers as ch', function () {
          this.on('ch.id', '=', 'connectors.charger_id').andOn('ch.tenant_id', '=', 'connectors.tenant_id');
        })
        .whereIn('ch.station_id', stationIds)
        .where('ch.registration_state', 'REGISTERED')
        .whereNull('connectors.retired_at')
        .groupBy('ch.station_id', 'connectors.status')
        .orderBy(['ch.station_id', 'connectors.status'])
        .select('ch.station_id', 'connectors.status', trx.raw('count(*)::int as n')),
    ]);
    const out = new Map<string, StationStatsRow>(
      stationIds.map((id) => [id, { station_id: id, chargers_total: 0, chargers_online: 0, connectors_by_status: [] }]),
    );
    for (const c of chargers as unknown as { station_id: string; total: number; online: number }[]) {
      const s = out.get(c.station_id);
      if (s) Object.assign(s, { chargers_total: c.total, chargers_online: c.online });
    }
    for (const c of connectors as unknown as { station_id: string; status: string; n: number }[]) {
      out.get(c.station_id)?.connectors_by_status.push({ status: c.status, count: c.n });
    }
    return [...out.values()];
  }

  /**
   * The latest `limit` status changes of each connector, newest first (one query for all): a
   * lateral top-N per connector, which neither objection nor the knex builder expresses.
   */
  statusHistory(scope: AssetsReadScope, connectorIds: readonly string[], limit: number): Promise<StatusHistoryRow[]> {
    return this.inTransaction(scope, async (trx) => {
      const visible = (await this.connectors(trx, scope).whereIn('connectors.id', connectorIds).select('connectors.id')).map((r: { id: string }) => r.id);
      if (!visible.length) return [];
      const res = await trx.raw<{ rows: StatusHistoryRow[] }>(
        `select h.* from unnest(?::uuid[]) as c(id)
           cross join lateral (
             select hs.id::text as id, hs.connector_id, hs.status, hs.error_code, hs.occurred_at, hs.recorded_at
               from connector_status_history hs
              where hs.connector_id = c.id and hs.tenant_id = any(?::uuid[])
              order by hs.occurred_at desc, hs.id desc limit ?) h`,
        [visible, [...scope.tenantIds], limit],
      );
      return res.rows;
    });
  }

  /** Cross-tenant by design (see the SQL function, SECURITY DEFINER); only for service identities. */
  async resolveRegistration(code: string): Promise<ChargerRegistrationRow | null> {
    const res = await this.knex.raw<{ rows: ChargerRegistrationRow[] }>('select * from assets.resolve_charger_registration(?)', [code]);
    return res.rows[0] ?? null;
  }
}
