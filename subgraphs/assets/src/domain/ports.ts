/**
 * The ports of the assets domain: what it needs from storage and from other
 * services. Persistence implements the stores (`Pg<Thing>Store` in
 * `persistence/<thing>-store.ts`), clients/ the tenants service.
 */
import type { AuditActor } from '@evcs/platform';
import type { AuditEntry, AuditNote, AuditRecord, ChargerSecurityPolicy, ChargerSecurityView, SecurityChange } from './charger-security';
import type { ChargerCreate, ChargerPatch, ConnectorCreate, ConnectorPatch, StationCreate, StationPatch, WriteResult } from './model';
import type { TenantQuotas } from './quota';
import type { ChargerRecord, ConnectorRecord, StationRecord } from './records';
import type { ApplyOutcome, ChargerPresence, StatusObservation } from './status';

/** Optimistic concurrency: when given, the write applies only to this version. */
export type ExpectedVersion = number | null;

/**
 * Port implemented by persistence. Every method is one transaction in the
 * actor's tenant (row-level security WITH CHECK pins writes to it) and returns
 * business failures as data. Creations count against the quota under a
 * per-tenant lock, so concurrent creations cannot overshoot it. `stations`
 * restricts which stations the write may touch (null = any of the tenant's).
 */
export interface AssetStore {
  /** Station and charger changes are audited with them, as `actor`. */
  createStation(tenantId: string, s: StationCreate, maxStations: number | null, actor: AuditActor): Promise<WriteResult<StationRecord>>;
  updateStation(
    tenantId: string,
    id: string,
    patch: StationPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<StationRecord>>;
  retireStation(tenantId: string, id: string, v: ExpectedVersion, actor: AuditActor): Promise<WriteResult<StationRecord>>;
  /** With its initial security (credential hash, profile, YKC identity) and the audit entry of it, in the same transaction. */
  createCharger(
    tenantId: string,
    c: ChargerCreate,
    maxChargers: number | null,
    security?: { change: SecurityChange; audit: Omit<AuditEntry, 'target'> },
  ): Promise<WriteResult<ChargerRecord>>;
  updateCharger(
    tenantId: string,
    id: string,
    patch: ChargerPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<ChargerRecord>>;
  retireCharger(tenantId: string, id: string, v: ExpectedVersion, stations: readonly string[] | null, actor: AuditActor): Promise<WriteResult<ChargerRecord>>;
  createConnector(
    tenantId: string,
    chargerId: string,
    c: ConnectorCreate,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<ConnectorRecord>>;
  updateConnector(
    tenantId: string,
    id: string,
    patch: ConnectorPatch,
    v: ExpectedVersion,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<ConnectorRecord>>;
  retireConnector(
    tenantId: string,
    id: string,
    v: ExpectedVersion,
    stations: readonly string[] | null,
    actor: AuditActor,
  ): Promise<WriteResult<ConnectorRecord>>;
}

/**
 * Port implemented by persistence. Every write is one transaction in the
 * actor's tenant that also appends the audit entry (`before`/`after` are the
 * views around the change), so a change never exists without its record.
 */
export interface ChargerSecurityStore {
  view(tenantId: string, chargerId: string, stations: readonly string[] | null): Promise<ChargerSecurityView | null>;
  /** Many at once (a page of chargers), in one query; missing or out-of-scope ones are left out. */
  views(tenantId: string, chargerIds: readonly string[], stations: readonly string[] | null): Promise<ChargerSecurityView[]>;
  /**
   * Apply `decide(current)` to the charger's security, under a row lock. `decide` returns the change,
   * or the user errors that refuse it (nothing written).
   */
  change(
    tenantId: string,
    chargerId: string,
    stations: readonly string[] | null,
    decide: (current: ChargerSecurityView, policy: ChargerSecurityPolicy) => WriteResult<SecurityChange>,
    audit: AuditNote,
  ): Promise<WriteResult<ChargerSecurityView>>;
  policy(tenantId: string): Promise<ChargerSecurityPolicy>;
  setPolicy(tenantId: string, p: ChargerSecurityPolicy, audit: Omit<AuditEntry, 'before' | 'after' | 'target'>): Promise<ChargerSecurityPolicy>;
  /** An audit entry on its own (a refused login). */
  audit(tenantId: string, e: AuditEntry): Promise<void>;
  auditLog(tenantId: string, first: number, beforeId: string | null): Promise<AuditRecord[]>;
}

/** Port implemented by persistence; every call is scoped to one tenant. */
export interface StatusStore {
  applyConnectorStatus(tenantId: string, obs: StatusObservation): Promise<ApplyOutcome>;
  /**
   * A run of connector statuses of one tenant, in their order, applied with a constant number of
   * statements whatever their count — with the outcome each would have had applied one by one
   * with `applyConnectorStatus` (same idempotence and ordering). All or nothing.
   */
  applyConnectorStatuses(tenantId: string, obs: readonly StatusObservation[]): Promise<ApplyOutcome[]>;
  applyPresence(tenantId: string, p: ChargerPresence): Promise<'applied' | 'unknown-charger'>;
  /**
   * Everything applied for this tenant while `fn` runs joins one transaction, committed when
   * `fn` resolves — all or nothing: one failure and `fn` rejects with nothing kept.
   */
  batch<T>(tenantId: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * Port: the quotas of a tenant, asked of the tenants service at the moment of
 * creation (quotas change rarely, creations are rare: no cache to go stale).
 *
 * - resolves `null` when the tenants service does not know the tenant: creation
 *   is refused (UNKNOWN_TENANT);
 * - throws an AppError with code DEPENDENCY_UNAVAILABLE and `retriable: true`
 *   when it cannot tell (unreachable, timed out, rejected our token, does not
 *   offer the query yet). Creation is then refused — never treated as unlimited.
 */
export interface TenantQuotaPort {
  quotasOf(tenantId: string): Promise<TenantQuotas | null>;
}
