import { appendAuditEntry, type AuditActor, Knex, withTenant } from '@evcs/platform';
import { fn, type PartialModelObject, raw } from 'objection';
import type { AuditEntry, SecurityChange } from '../domain/charger-security';
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
import type { AssetStore, ExpectedVersion } from '../domain/ports';
import type { ChargerRecord, ConnectorRecord, StationRecord } from '../domain/records';
import { appendAudit, writeSecurity } from './charger-security-store';
import { chargersOfStation, publishChargers } from './charger-events';
import { Charger, Connector, Station } from './models';

/** First key of the advisory locks that serialise a tenant's creations (second key: hash of the tenant id). */
const QUOTA_LOCK = { stations: 0x41535401, chargers: 0x41534302 } as const;

/** Which unique constraint a violation names, mapped to the field and message the caller sees. */
const UNIQUE_VIOLATIONS: Record<string, { field: string; message: string }> = {
  stations_tenant_id_code_key: { field: 'code', message: 'another station of this tenant has this code' },
  // The index is global (see the migration): the message names no other tenant.
  chargers_active_code: { field: 'code', message: 'this code is already the identity of an active charger (charge point ids are unique across the platform)' },
  connectors_charger_id_connector_no_key: { field: 'connectorNo', message: 'this charger already has (or had) a connector with this number' },
};

/**
 * The unique constraint a write violated. objection wraps the driver's error (db-errors) and keeps
 * it as `nativeError` — not always as a UniqueViolationError: under row-level security Postgres
 * leaves the key out of the detail db-errors parses —, knex passes pg's on as it is.
 */
function violatedConstraint(e: unknown): string | undefined {
  const pg = ((e as { nativeError?: unknown }).nativeError ?? e) as { code?: string; constraint?: string };
  return pg.code === '23505' ? pg.constraint : undefined;
}

function uniqueViolation<T>(e: unknown, fieldPrefix = ''): WriteResult<T> | null {
  const constraint = violatedConstraint(e);
  if (!constraint) return null;
  const v = UNIQUE_VIOLATIONS[constraint];
  return v ? failed(userError(UserErrorCodes.DUPLICATE, `${fieldPrefix}${v.field}`, v.message)) : null;
}

function versionConflict<T>(expected: ExpectedVersion, actual: number): WriteResult<T> | null {
  return expected !== null && expected !== actual
    ? failed(userError(UserErrorCodes.VERSION_CONFLICT, 'expectedVersion', `expected version ${expected}, but it is at version ${actual}; reload and retry`))
    : null;
}

const retired = <T>(field: string, what: string): WriteResult<T> => failed(userError(UserErrorCodes.RETIRED, field, `${what} is retired`));
const notFound = <T>(field: string, what: string): WriteResult<T> => failed(userError(UserErrorCodes.NOT_FOUND, field, `${what} not found`));

/** The keys of a patch that are present (undefined = leave as is; null clears). */
function present<P extends object>(patch: P): Partial<P> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<P>;
}

/** A coordinate for a numeric column: the text pg would send for the number (numeric keeps it exactly). */
const decimal = (n: number | null): string | null => (n === null ? null : String(n));

/** A station patch as model properties (coordinates as numeric text). */
function stationChange(patch: StationPatch): Partial<Station> {
  const { latitude, longitude, ...rest } = present(patch);
  return {
    ...rest,
    ...(latitude !== undefined ? { latitude: decimal(latitude) } : {}),
    ...(longitude !== undefined ? { longitude: decimal(longitude) } : {}),
  };
}

/** Every change of a row moves its version on (optimistic concurrency) and stamps it. */
const bumped = () => ({ version: raw('version + 1'), updatedAt: fn.now() });

/** An asset row as the write paths lock and patch it. */
type AssetRow = Station | Charger | Connector;
/** The record of a row; R is the one its model maps to (the caller's locking query fixed the model). */
const recordOf = <R>(row: AssetRow): R => row.toRecord() as R;

/** Why a locked row may not be changed: missing, retired, or at another version than the caller read. */
function refusal<R>(row: AssetRow | undefined, what: string, v: ExpectedVersion): WriteResult<R> | null {
  if (!row) return notFound('id', what);
  if (row.retiredAt) return retired('id', what);
  return versionConflict<R>(v, row.version);
}

/** Applies a change to a locked row (a patch that changes nothing leaves the version as it is). */
async function patched<R>(trx: Knex.Transaction, tenantId: string, row: AssetRow, change: object): Promise<WriteResult<R>> {
  if (Object.keys(change).length === 0) return ok(recordOf(row));
  // One builder for the three models: the patch is the same version bump and stamp on each.
  const updated = (await (row as Station)
    .$query(trx)
    .patch({ ...change, ...bumped() } as PartialModelObject<Station>)
    .where({ tenant_id: tenantId })
    .returning('*')
    .first())!;
  return ok(recordOf(updated));
}

/** A change that succeeded, audited in its transaction: the record before (null for a creation) and after. */
async function audited<T extends { id: string }>(
  trx: Knex.Transaction,
  tenantId: string,
  actor: AuditActor,
  action: string,
  targetType: 'station' | 'charger' | 'connector',
  before: T | null,
  result: WriteResult<T>,
  details: Record<string, unknown> | null = null,
): Promise<WriteResult<T>> {
  if (result.ok) {
    const facts = (r: T) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    await appendAuditEntry(trx, {
      tenantId,
      actor,
      action,
      target: { type: targetType, id: result.value.id },
      before: before && facts(before),
      after: facts(result.value),
      details,
    });
  }
  return result;
}

/**
 * The write side, on the objection models. Each method is one transaction in
 * the actor's tenant (withTenant: RLS WITH CHECK refuses rows of any other
 * tenant) and also names the tenant explicitly in every statement.
 *
 * Concurrency: rows being changed are locked FOR UPDATE; a station a charger
 * is created at (or moved to) is locked FOR SHARE, so retiring the station
 * either waits for the charger and then sees it, or wins and the charger
 * creation sees the station retired. Quota counts run under a per-tenant
 * transaction-scoped advisory lock.
 *
 * Every change of what a charger's registration says to other services (registered, moved,
 * its station's time zone, a connector added or retired, retired) puts the charger's new
 * snapshot in the outbox in the same transaction (charger-events.ts): orders keeps its own
 * projection of chargers from those events.
 */
export class PgAssetStore implements AssetStore {
  /** @param onPublished told after a transaction that put asset events in the outbox committed (wakes the relay) */
  constructor(
    private readonly knex: Knex,
    private readonly onPublished: () => void = () => undefined,
  ) {}

  private async tx<T>(tenantId: string, fn: (trx: Knex.Transaction) => Promise<WriteResult<T>>, fieldPrefix = ''): Promise<WriteResult<T>> {
    try {
      const result = await withTenant(this.knex, tenantId, fn);
      if (result.ok) this.onPublished();
      return result;
    } catch (e) {
      const dup = uniqueViolation<T>(e, fieldPrefix);
      if (dup) return dup;
      throw e;
    }
  }

  private static async lockQuota(trx: Knex.Transaction, kind: keyof typeof QUOTA_LOCK, tenantId: string): Promise<void> {
    await trx.raw('select pg_advisory_xact_lock(?::int, hashtext(?))', [QUOTA_LOCK[kind], tenantId]);
  }

  createStation(tenantId: string, s: StationCreate, maxStations: number | null, actor: AuditActor): Promise<WriteResult<StationRecord>> {
    return this.tx(tenantId, async (trx) => {
      if (maxStations !== null) {
        await PgAssetStore.lockQuota(trx, 'stations', tenantId);
        const n = await Station.query(trx).where({ tenant_id: tenantId }).whereNull('retired_at').resultSize();
        if (n >= maxStations) {
          return failed(userError(UserErrorCodes.QUOTA_EXCEEDED, null, `the tenant's quota of ${maxStations} active stations is reached`));
        }
      }
      const row = await Station.query(trx)
        .insert({
          tenantId,
          code: s.code,
          name: s.name,
          address: s.address,
          latitude: decimal(s.latitude),
          longitude: decimal(s.longitude),
          timezone: s.timezone,
          status: s.status,
        })
        .returning('*');
      return audited(trx, tenantId, actor, 'STATION_CREATED', 'station', null, ok(row.toRecord()));
    });
  }

  private static stationForUpdate(trx: Knex.Transaction, tenantId: string, id: string, stations: readonly string[] | null) {
    const q = Station.query(trx).findOne({ id, tenant_id: tenantId }).forUpdate();
    return stations ? q.whereIn('id', stations) : q;
  }

  updateStation(
    tenantId: string,
    id: string,
    patch: StationPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<StationRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.stationForUpdate(trx, tenantId, id, stations);
      const refused = refusal<StationRecord>(row, 'station', v);
      if (refused) return refused;
      const before = row!.toRecord();
      // before the patch: patching the model instance updates its properties
      const zoneChanged = patch.timezone !== undefined && patch.timezone !== row!.timezone;
      const result = await patched<StationRecord>(trx, tenantId, row!, stationChange(patch));
      if (zoneChanged) {
        await publishChargers(trx, tenantId, await chargersOfStation(trx, tenantId, id), 'charger.changed');
      }
      return audited(trx, tenantId, actor, 'STATION_UPDATED', 'station', before, result);
    });
  }

  retireStation(tenantId: string, id: string, v: ExpectedVersion, actor: AuditActor): Promise<WriteResult<StationRecord>> {
    return this.tx(tenantId, async (trx) => {
      // The station with its active chargers: retiring would orphan them.
      const row = await PgAssetStore.stationForUpdate(trx, tenantId, id, null)
        .withGraphFetched('chargers(registered)')
        .modifyGraph('chargers', (q) => void q.where('chargers.tenant_id', tenantId));
      if (!row) return notFound('id', 'station');
      if (row.retiredAt) return ok(row.toRecord()); // retiring is idempotent
      const conflict = versionConflict<StationRecord>(v, row.version);
      if (conflict) return conflict;
      const n = row.chargers?.length ?? 0;
      if (n > 0) {
        return failed(userError(UserErrorCodes.HAS_ACTIVE_CHARGERS, 'id', `the station still has ${n} active charger(s); retire or move them first`));
      }
      // before the patch: patching the model instance updates its properties
      const before = row.toRecord();
      const updated = await row
        .$query(trx)
        .patch({ status: 'CLOSED', retiredAt: fn.now(), ...bumped() })
        .where({ tenant_id: tenantId })
        .returning('*')
        .first();
      return audited(trx, tenantId, actor, 'STATION_RETIRED', 'station', before, ok(updated!.toRecord()));
    });
  }

  /** The station a charger is attached to, locked against retirement until this transaction ends. */
  private static async stationForCharger(trx: Knex.Transaction, tenantId: string, stationId: string): Promise<WriteResult<Station>> {
    const st = await Station.query(trx).findOne({ id: stationId, tenant_id: tenantId }).forShare();
    if (!st) return notFound('stationId', 'station');
    if (st.retiredAt) return retired('stationId', 'station');
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
        const n = await Charger.query(trx).where({ tenant_id: tenantId, registration_state: 'REGISTERED' }).resultSize();
        if (n >= maxChargers) {
          return failed(userError(UserErrorCodes.QUOTA_EXCEEDED, null, `the tenant's quota of ${maxChargers} active chargers is reached`));
        }
      }
      const row = await Charger.query(trx)
        .insert({
          tenantId,
          stationId: c.stationId,
          code: c.code,
          protocol: c.protocol,
          currentType: c.currentType,
          ratedPowerKw: c.ratedPowerKw,
          vendor: c.vendor,
          model: c.model,
          firmwareVersion: c.firmwareVersion,
          registrationState: 'REGISTERED',
        })
        .returning('*');
      const connectors = c.connectors.length
        ? await row
            .$relatedQuery('connectors', trx)
            .insert(c.connectors.map((k) => ({ tenantId, connectorNo: k.connectorNo, plugType: k.plugType, maxPowerKw: k.maxPowerKw })))
            .returning('*')
        : [];
      if (security) await PgAssetStore.registerSecurity(trx, tenantId, row, security, connectors);
      await publishChargers(trx, tenantId, [row.id], 'charger.registered');
      return ok(row.toRecord());
    });
  }

  private static async registerSecurity(
    trx: Knex.Transaction,
    tenantId: string,
    row: Charger,
    security: { change: SecurityChange; audit: Omit<AuditEntry, 'target'> },
    connectors: readonly Connector[],
  ): Promise<void> {
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
      // the connectors registered with it: no CONNECTOR_CREATED entry of their own
      connectors: connectors.map((k) => ({ id: k.id, connectorNo: k.connectorNo, plugType: k.plugType, maxPowerKw: k.maxPowerKw })),
    };
    await appendAudit(trx, tenantId, { ...security.audit, target: `charger:${row.id}`, before: null, after });
  }

  private static chargerForUpdate(trx: Knex.Transaction, tenantId: string, id: string, stations: readonly string[] | null) {
    const q = Charger.query(trx).findOne({ id, tenant_id: tenantId }).forUpdate();
    return stations ? q.whereIn('station_id', stations) : q;
  }

  updateCharger(
    tenantId: string,
    id: string,
    patch: ChargerPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<ChargerRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.chargerForUpdate(trx, tenantId, id, stations);
      const refused = refusal<ChargerRecord>(row, 'charger', v);
      if (refused) return refused;
      const before = row!.toRecord();
      if (patch.stationId !== undefined && patch.stationId !== row!.stationId) {
        const st = await PgAssetStore.stationForCharger(trx, tenantId, patch.stationId);
        if (!st.ok) return st;
        const moved = await patched<ChargerRecord>(trx, tenantId, row!, present(patch));
        await publishChargers(trx, tenantId, [id], 'charger.changed');
        return audited(trx, tenantId, actor, 'CHARGER_UPDATED', 'charger', before, moved);
      }
      return audited(trx, tenantId, actor, 'CHARGER_UPDATED', 'charger', before, await patched<ChargerRecord>(trx, tenantId, row!, present(patch)));
    });
  }

  retireCharger(tenantId: string, id: string, v: ExpectedVersion, stations: readonly string[] | null, actor: AuditActor): Promise<WriteResult<ChargerRecord>> {
    return this.tx(tenantId, async (trx) => {
      // The charger with its active connectors, which go with it.
      const row = await PgAssetStore.chargerForUpdate(trx, tenantId, id, stations)
        .withGraphFetched('connectors(active)')
        .modifyGraph('connectors', (q) => void q.where('connectors.tenant_id', tenantId));
      if (!row) return notFound('id', 'charger');
      if (row.retiredAt) return ok(row.toRecord());
      const conflict = versionConflict<ChargerRecord>(v, row.version);
      if (conflict) return conflict;
      const busy = (row.connectors ?? []).filter((k) => (IN_USE_STATUSES as readonly string[]).includes(k.status));
      if (busy.length) {
        const list = busy.map((b) => `${b.connectorNo} (${b.status})`).join(', ');
        return failed(userError(UserErrorCodes.IN_USE, 'id', `connector(s) ${list} are in a session; retire the charger when they are free`));
      }
      // Its connectors go with it: nothing is left pointing at a charger that no longer exists for the platform.
      const connectorsRetired = (row.connectors ?? []).map((k) => ({ id: k.id, connectorNo: k.connectorNo }));
      // before the patch: patching the model instance updates its properties
      const before = row.toRecord();
      await row
        .$relatedQuery('connectors', trx)
        .where({ 'connectors.tenant_id': tenantId })
        .whereNull('connectors.retired_at')
        .patch({ retiredAt: fn.now(), ...bumped() });
      const updated = await row
        .$query(trx)
        .patch({ registrationState: 'RETIRED', retiredAt: fn.now(), online: false, ...bumped() })
        .where({ tenant_id: tenantId })
        .returning('*')
        .first();
      await publishChargers(trx, tenantId, [id], 'charger.retired');
      // the charger's record only: which connectors were retired with it is said here, not in entries of their own
      const details = connectorsRetired.length ? { connectorsRetired } : null;
      return audited(trx, tenantId, actor, 'CHARGER_RETIRED', 'charger', before, ok(updated!.toRecord()), details);
    });
  }

  createConnector(
    tenantId: string,
    chargerId: string,
    c: ConnectorCreate,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<ConnectorRecord>> {
    return this.tx(tenantId, async (trx) => {
      // FOR UPDATE, not SHARE: the new connector is published with the charger's snapshot, taken under this lock.
      const q = Charger.query(trx).findOne({ id: chargerId, tenant_id: tenantId }).forUpdate();
      const charger = await (stations ? q.whereIn('station_id', stations) : q);
      if (!charger) return notFound('chargerId', 'charger');
      if (charger.retiredAt) return retired('chargerId', 'charger');
      const row = await charger
        .$relatedQuery('connectors', trx)
        .insert({ tenantId, connectorNo: c.connectorNo, plugType: c.plugType, maxPowerKw: c.maxPowerKw })
        .returning('*');
      await publishChargers(trx, tenantId, [chargerId], 'charger.changed');
      return audited(trx, tenantId, actor, 'CONNECTOR_CREATED', 'connector', null, ok(row.toRecord()));
    });
  }

  private static connectorForUpdate(trx: Knex.Transaction, tenantId: string, id: string, stations: readonly string[] | null) {
    const q = Connector.query(trx).findOne({ id, tenant_id: tenantId }).forUpdate();
    return stations ? q.whereIn('charger_id', Charger.query(trx).select('id').where({ tenant_id: tenantId }).whereIn('station_id', stations)) : q;
  }

  updateConnector(
    tenantId: string,
    id: string,
    patch: ConnectorPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<ConnectorRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.connectorForUpdate(trx, tenantId, id, stations);
      const refused = refusal<ConnectorRecord>(row, 'connector', v);
      if (refused) return refused;
      const before = row!.toRecord();
      return audited(trx, tenantId, actor, 'CONNECTOR_UPDATED', 'connector', before, await patched<ConnectorRecord>(trx, tenantId, row!, present(patch)));
    });
  }

  retireConnector(
    tenantId: string,
    id: string,
    v: ExpectedVersion,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<ConnectorRecord>> {
    return this.tx(tenantId, async (trx) => {
      const row = await PgAssetStore.connectorForUpdate(trx, tenantId, id, stations);
      if (!row) return notFound('id', 'connector');
      if (row.retiredAt) return ok(row.toRecord());
      const conflict = versionConflict<ConnectorRecord>(v, row.version);
      if (conflict) return conflict;
      if ((IN_USE_STATUSES as readonly string[]).includes(row.status)) {
        return failed(userError(UserErrorCodes.IN_USE, 'id', `the connector is in a session (${row.status}); retire it when it is free`));
      }
      // before the patch: patching the model instance updates its properties
      const before = row.toRecord();
      const updated = await row
        .$query(trx)
        .patch({ retiredAt: fn.now(), ...bumped() })
        .where({ tenant_id: tenantId })
        .returning('*')
        .first();
      await publishChargers(trx, tenantId, [row.chargerId], 'charger.changed');
      return audited(trx, tenantId, actor, 'CONNECTOR_RETIRED', 'connector', before, ok(updated!.toRecord()));
    });
  }
}
