import { Knex, withTenant } from '@evcs/platform';
import type { AssetStore, ExpectedVersion } from '../domain/ports';
import {
  ChargerCreate,
  ChargerPatch,
  ConnectorCreate,
  ConnectorPatch,
  failed,
  IN_USE_STATUSES,
  ok,
  StationCreate,
  StationPatch,
  userError,
  UserErrorCodes,
  WriteResult,
} from '../domain/model';
import type { AuditEntry, SecurityChange } from '../domain/charger-security';
import type { ChargerRecord, ConnectorRecord, StationRecord } from '../domain/records';
import { appendAudit, writeSecurity } from './charger-security-store';

/** First key of the advisory locks that serialise a tenant's creations (second key: hash of the tenant id). */
const QUOTA_LOCK = { stations: 0x41535401, chargers: 0x41534302 } as const;

/** Which unique constraint a violation names, mapped to the field and message the caller sees. */
const UNIQUE_VIOLATIONS: Record<string, { field: string; message: string }> = {
  stations_tenant_id_code_key: { field: 'code', message: 'another station of this tenant has this code' },
  // The index is global (see the migration): the message names no other tenant.
  chargers_active_code: { field: 'code', message: 'this code is already the identity of an active charger (charge point ids are unique across the platform)' },
  connectors_charger_id_connector_no_key: { field: 'connectorNo', message: 'this charger already has (or had) a connector with this number' },
};

function uniqueViolation<T>(e: unknown, fieldPrefix = ''): WriteResult<T> | null {
  const pg = e as { code?: string; constraint?: string };
  if (pg.code !== '23505' || !pg.constraint) return null;
  const v = UNIQUE_VIOLATIONS[pg.constraint];
  return v ? failed(userError(UserErrorCodes.DUPLICATE, `${fieldPrefix}${v.field}`, v.message)) : null;
}

const STATION_COLUMNS: Record<keyof StationPatch, string> = {
  code: 'code',
  name: 'name',
  address: 'address',
  latitude: 'latitude',
  longitude: 'longitude',
  timezone: 'timezone',
  status: 'status',
};
const CHARGER_COLUMNS: Record<keyof ChargerPatch, string> = {
  stationId: 'station_id',
  currentType: 'current_type',
  ratedPowerKw: 'rated_power_kw',
  vendor: 'vendor',
  model: 'model',
  firmwareVersion: 'firmware_version',
};
const CONNECTOR_COLUMNS: Record<keyof ConnectorPatch, string> = { plugType: 'plug_type', maxPowerKw: 'max_power_kw' };

function columnsOf<P extends object>(patch: P, map: Record<keyof P, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) out[map[k as keyof P]] = v;
  return out;
}

function versionConflict<T>(expected: ExpectedVersion, actual: number): WriteResult<T> | null {
  return expected !== null && expected !== actual
    ? failed(userError(UserErrorCodes.VERSION_CONFLICT, 'expectedVersion', `expected version ${expected}, but it is at version ${actual}; reload and retry`))
    : null;
}

const retired = <T>(field: string, what: string): WriteResult<T> => failed(userError(UserErrorCodes.RETIRED, field, `${what} is retired`));
const notFound = <T>(field: string, what: string): WriteResult<T> => failed(userError(UserErrorCodes.NOT_FOUND, field, `${what} not found`));

/**
 * The write side, in SQL. Each method is one transaction in the actor's tenant
 * (withTenant: RLS WITH CHECK refuses rows of any other tenant) and also names
 * the tenant explicitly in every statement.
 *
 * Concurrency: rows being changed are locked FOR UPDATE; a station a charger
 * is created at (or moved to) is locked FOR SHARE, so retiring the station
 * either waits for the charger and then sees it, or wins and the charger
 * creation sees the station retired. Quota counts run under a per-tenant
 * transaction-scoped advisory lock.
 */
export class PgAssetStore implements AssetStore {
  constructor(private readonly knex: Knex) {}

  private async tx<T>(tenantId: string, fn: (trx: Knex.Transaction) => Promise<WriteResult<T>>, fieldPrefix = ''): Promise<WriteResult<T>> {
    try {
      return await withTenant(this.knex, tenantId, fn);
    } catch (e) {
      const dup = uniqueViolation<T>(e, fieldPrefix);
      if (dup) return dup;
      throw e;
    }
  }

  private static async lockQuota(trx: Knex.Transaction, kind: keyof typeof QUOTA_LOCK, tenantId: string): Promise<void> {
    await trx.raw('select pg_advisory_xact_lock(?::int, hashtext(?))', [QUOTA_LOCK[kind], tenantId]);
  }

  createStation(tenantId: string, s: StationCreate, maxStations: number | null): Promise<WriteResult<StationRecord>> {
    return this.tx(tenantId, async (trx) => {
      if (maxStations !== null) {
        await PgAssetStore.lockQuota(trx, 'stations', tenantId);
        const [{ n }] = await trx('stations').where({ tenant_id: tenantId }).whereNull('retired_at').count<{ n: string }[]>('* as n');
        if (Number(n) >= maxStations) {
          return failed(userError(UserErrorCodes.QUOTA_EXCEEDED, null, `the tenant's quota of ${maxStations} active stations is reached`));
        }
      }
      const [row] = await trx('stations')
        .insert({
          tenant_id: tenantId,
          code: s.code,
          name: s.name,
          address: s.address,
          latitude: s.latitude,
          longitude: s.longitude,
          timezone: s.timezone,
          status: s.status,
        })
        .returning<StationRecord[]>('*');
      return ok(row);
    });
  }

  private static async stationForUpdate(
    trx: Knex.Transaction,
    tenantId: string,
    id: string,
    stations: readonly string[] | null,
  ): Promise<StationRecord | undefined> {
    const q = trx<StationRecord>('stations').where({ id, tenant_id: tenantId }).forUpdate().first();
    return stations ? q.whereIn('id', stations) : q;
  }

  updateStation(
    tenantId: string,
    id: string,
    patch: StationPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
  ): Promise<WriteResult<StationRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.stationForUpdate(trx, tenantId, id, stations);
      if (!row) return notFound('id', 'station');
      if (row.retired_at) return retired('id', 'station');
      const conflict = versionConflict<StationRecord>(v, row.version);
      if (conflict) return conflict;
      const cols = columnsOf(patch, STATION_COLUMNS);
      if (Object.keys(cols).length === 0) return ok(row);
      const [updated] = await trx<StationRecord>('stations')
        .where({ id, tenant_id: tenantId })
        .update({ ...cols, version: trx.raw('version + 1'), updated_at: trx.fn.now() } as never)
        .returning('*');
      return ok(updated);
    });
  }

  retireStation(tenantId: string, id: string, v: ExpectedVersion): Promise<WriteResult<StationRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.stationForUpdate(trx, tenantId, id, null);
      if (!row) return notFound('id', 'station');
      if (row.retired_at) return ok(row); // retiring is idempotent
      const conflict = versionConflict<StationRecord>(v, row.version);
      if (conflict) return conflict;
      const [{ n }] = await trx('chargers').where({ tenant_id: tenantId, station_id: id, registration_state: 'REGISTERED' }).count<{ n: string }[]>('* as n');
      if (Number(n) > 0) {
        return failed(userError(UserErrorCodes.HAS_ACTIVE_CHARGERS, 'id', `the station still has ${n} active charger(s); retire or move them first`));
      }
      const [updated] = await trx<StationRecord>('stations')
        .where({ id, tenant_id: tenantId })
        .update({ status: 'CLOSED', retired_at: trx.fn.now(), version: trx.raw('version + 1'), updated_at: trx.fn.now() } as never)
        .returning('*');
      return ok(updated);
    });
  }

  /** The station a charger is attached to, locked against retirement until this transaction ends. */
  private static async stationForCharger(trx: Knex.Transaction, tenantId: string, stationId: string): Promise<WriteResult<StationRecord>> {
    const st = await trx<StationRecord>('stations').where({ id: stationId, tenant_id: tenantId }).forShare().first();
    if (!st) return notFound('stationId', 'station');
    if (st.retired_at) return retired('stationId', 'station');
    return ok(st);
  }

  createCharger(
    tenantId: string,
    c: ChargerCreate,
    maxChargers: number | null,
    security?: { change: SecurityChange; audit: Omit<AuditEntry, 'target'> },
  ): Promise<WriteResult<ChargerRecord>> {
    return this.tx(tenantId, async (trx) => {
      if (maxChargers !== null) await PgAssetStore.lockQuota(trx, 'chargers', tenantId);
      const st = await PgAssetStore.stationForCharger(trx, tenantId, c.stationId);
      if (!st.ok) return st;
      if (maxChargers !== null) {
        const [{ n }] = await trx('chargers').where({ tenant_id: tenantId, registration_state: 'REGISTERED' }).count<{ n: string }[]>('* as n');
        if (Number(n) >= maxChargers) {
          return failed(userError(UserErrorCodes.QUOTA_EXCEEDED, null, `the tenant's quota of ${maxChargers} active chargers is reached`));
        }
      }
      const [row] = await trx<ChargerRecord>('chargers')
        .insert({
          tenant_id: tenantId,
          station_id: c.stationId,
          code: c.code,
          protocol: c.protocol,
          current_type: c.currentType,
          rated_power_kw: c.ratedPowerKw,
          vendor: c.vendor,
          model: c.model,
          firmware_version: c.firmwareVersion,
          registration_state: 'REGISTERED',
        })
        .returning('*');
      if (c.connectors.length) {
        await trx('connectors').insert(
          c.connectors.map((k) => ({
            tenant_id: tenantId,
            charger_id: row.id,
            connector_no: k.connectorNo,
            plug_type: k.plugType,
            max_power_kw: k.maxPowerKw,
          })),
        );
      }
      if (security) {
        await writeSecurity(trx, tenantId, row.id, security.change);
        const c = security.change;
        // Never the hash: whether there is a password, the profile, the identity registered.
        const after = {
          code: row.code,
          protocol: row.protocol,
          securityProfile: c.securityProfile ?? null,
          hasPassword: Boolean(c.passwordHash),
          ykcIdentity: c.ykcIdentity?.identity ?? null,
          allowedSourceCidrs: c.allowedSourceCidrs ?? [],
        };
        await appendAudit(trx, tenantId, { ...security.audit, target: `charger:${row.id}`, before: null, after });
      }
      return ok(row);
    });
  }

  private static async chargerForUpdate(
    trx: Knex.Transaction,
    tenantId: string,
    id: string,
    stations: readonly string[] | null,
  ): Promise<ChargerRecord | undefined> {
    const q = trx<ChargerRecord>('chargers').where({ id, tenant_id: tenantId }).forUpdate().first();
    return stations ? q.whereIn('station_id', stations) : q;
  }

  updateCharger(
    tenantId: string,
    id: string,
    patch: ChargerPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
  ): Promise<WriteResult<ChargerRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.chargerForUpdate(trx, tenantId, id, stations);
      if (!row) return notFound('id', 'charger');
      if (row.retired_at) return retired('id', 'charger');
      const conflict = versionConflict<ChargerRecord>(v, row.version);
      if (conflict) return conflict;
      if (patch.stationId !== undefined && patch.stationId !== row.station_id) {
        const st = await PgAssetStore.stationForCharger(trx, tenantId, patch.stationId);
        if (!st.ok) return st;
      }
      const cols = columnsOf(patch, CHARGER_COLUMNS);
      if (Object.keys(cols).length === 0) return ok(row);
      const [updated] = await trx<ChargerRecord>('chargers')
        .where({ id, tenant_id: tenantId })
        .update({ ...cols, version: trx.raw('version + 1'), updated_at: trx.fn.now() } as never)
        .returning('*');
      return ok(updated);
    });
  }

  retireCharger(tenantId: string, id: string, v: ExpectedVersion, stations: readonly string[] | null): Promise<WriteResult<ChargerRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.chargerForUpdate(trx, tenantId, id, stations);
      if (!row) return notFound('id', 'charger');
      if (row.retired_at) return ok(row);
      const conflict = versionConflict<ChargerRecord>(v, row.version);
      if (conflict) return conflict;
      const busy = await trx<ConnectorRecord>('connectors')
        .where({ tenant_id: tenantId, charger_id: id })
        .whereNull('retired_at')
        .whereIn('status', IN_USE_STATUSES)
        .orderBy('connector_no')
        .select('connector_no', 'status');
      if (busy.length) {
        const list = busy.map((b) => `${b.connector_no} (${b.status})`).join(', ');
        return failed(userError(UserErrorCodes.IN_USE, 'id', `connector(s) ${list} are in a session; retire the charger when they are free`));
      }
      // Its connectors go with it: nothing is left pointing at a charger that no longer exists for the platform.
      await trx('connectors')
        .where({ tenant_id: tenantId, charger_id: id })
        .whereNull('retired_at')
        .update({ retired_at: trx.fn.now(), version: trx.raw('version + 1'), updated_at: trx.fn.now() } as never);
      const [updated] = await trx<ChargerRecord>('chargers')
        .where({ id, tenant_id: tenantId })
        .update({ registration_state: 'RETIRED', retired_at: trx.fn.now(), online: false, version: trx.raw('version + 1'), updated_at: trx.fn.now() } as never)
        .returning('*');
      return ok(updated);
    });
  }

  createConnector(tenantId: string, chargerId: string, c: ConnectorCreate, stations: readonly string[] | null): Promise<WriteResult<ConnectorRecord>> {
    return this.tx(tenantId, async (trx) => {
      const q = trx<ChargerRecord>('chargers').where({ id: chargerId, tenant_id: tenantId }).forShare().first();
      const charger = await (stations ? q.whereIn('station_id', stations) : q);
      if (!charger) return notFound('chargerId', 'charger');
      if (charger.retired_at) return retired('chargerId', 'charger');
      const [row] = await trx<ConnectorRecord>('connectors')
        .insert({ tenant_id: tenantId, charger_id: chargerId, connector_no: c.connectorNo, plug_type: c.plugType, max_power_kw: c.maxPowerKw })
        .returning('*');
      return ok(row);
    });
  }

  private static async connectorForUpdate(
    trx: Knex.Transaction,
    tenantId: string,
    id: string,
    stations: readonly string[] | null,
  ): Promise<ConnectorRecord | undefined> {
    const q = trx<ConnectorRecord>('connectors').where({ id, tenant_id: tenantId }).forUpdate().first();
    return stations ? q.whereIn('charger_id', trx('chargers').select('id').where({ tenant_id: tenantId }).whereIn('station_id', stations)) : q;
  }

  updateConnector(
    tenantId: string,
    id: string,
    patch: ConnectorPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
  ): Promise<WriteResult<ConnectorRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.connectorForUpdate(trx, tenantId, id, stations);
      if (!row) return notFound('id', 'connector');
      if (row.retired_at) return retired('id', 'connector');
      const conflict = versionConflict<ConnectorRecord>(v, row.version);
      if (conflict) return conflict;
      const cols = columnsOf(patch, CONNECTOR_COLUMNS);
      if (Object.keys(cols).length === 0) return ok(row);
      const [updated] = await trx<ConnectorRecord>('connectors')
        .where({ id, tenant_id: tenantId })
        .update({ ...cols, version: trx.raw('version + 1'), updated_at: trx.fn.now() } as never)
        .returning('*');
      return ok(updated);
    });
  }

  retireConnector(tenantId: string, id: string, v: ExpectedVersion, stations: readonly string[] | null): Promise<WriteResult<ConnectorRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.connectorForUpdate(trx, tenantId, id, stations);
      if (!row) return notFound('id', 'connector');
      if (row.retired_at) return ok(row);
      const conflict = versionConflict<ConnectorRecord>(v, row.version);
      if (conflict) return conflict;
      if ((IN_USE_STATUSES as readonly string[]).includes(row.status)) {
        return failed(userError(UserErrorCodes.IN_USE, 'id', `the connector is in a session (${row.status}); retire it when it is free`));
      }
      const [updated] = await trx<ConnectorRecord>('connectors')
        .where({ id, tenant_id: tenantId })
        .update({ retired_at: trx.fn.now(), version: trx.raw('version + 1'), updated_at: trx.fn.now() } as never)
        .returning('*');
      return ok(updated);
    });
  }
}
