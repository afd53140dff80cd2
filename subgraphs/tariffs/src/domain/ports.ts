import type { TariffEvent } from '@evcs/events';
import type { AuditEntryInput, Money } from '@evcs/platform';
import type { SegmentInput } from './plan';

/** The ports the tariffs domain service needs. SQL lives behind them (persistence/), Kafka too (events/). */

export type PlanStatus = 'ACTIVE' | 'RETIRED';
export type ChargerProtocol = 'OCPP16' | 'YKC';

export interface PlanRecord {
  id: string;
  tenantId: string;
  /** null: a tenant-level plan */
  stationId: string | null;
  name: string;
  currency: string;
  timezone: string;
  status: PlanStatus;
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionRecord {
  planId: string;
  version: number;
  effectiveFrom: Date;
  segments: SegmentInput[];
  createdAt: Date;
  createdBy: string | null;
}

export interface BindingRecord {
  chargerId: string;
  stationId: string;
  protocol: ChargerProtocol;
  planId: string;
  boundAt: Date;
}

/** A plan with its versions (oldest first) and the chargers bound to it. */
export interface PlanGraph {
  plan: PlanRecord;
  versions: VersionRecord[];
  bindings: BindingRecord[];
}

/** Which rows a request may read: its tenants, and optionally only some stations (tenant-level plans stay visible). */
export interface TariffReadScope {
  tenantId: string;
  tenantIds: readonly string[];
  stationIds: readonly string[] | null;
}

/** Which plans a request may change: its own tenant's, and only some stations' if it is station-scoped. */
export interface TariffWriteScope {
  tenantId: string;
  /** null: every station and the tenant-level plans */
  stationIds: readonly string[] | null;
}

/** One transaction as one tenant (RLS set); every method filters by that tenant too. */
export interface TariffTx {
  /** Serialise changes to one station's (or, with null, the tenant-level) plan set. */
  lockPlanSet(stationId: string | null): Promise<void>;
  countActivePlans(stationId: string | null): Promise<number>;
  /** The plan row locked for update, or null. */
  lockPlan(planId: string): Promise<PlanRecord | null>;
  /** The plan row locked for update with its versions and its bindings (only those of `bindingsOf`, if given), or null. */
  lockPlanGraph(planId: string, bindingsOf?: ChargerProtocol): Promise<PlanGraph | null>;
  insertPlan(p: Pick<PlanRecord, 'stationId' | 'name' | 'currency' | 'timezone' | 'isDefault'>): Promise<PlanRecord>;
  updatePlan(planId: string, patch: Partial<Pick<PlanRecord, 'name' | 'isDefault' | 'status'>>): Promise<PlanRecord>;
  /** Clear the default flag of the station's (null: the tenant-level) plans, except `exceptPlanId`. */
  clearDefaults(stationId: string | null, exceptPlanId: string | null): Promise<void>;
  versions(planId: string): Promise<VersionRecord[]>;
  insertVersion(v: Omit<VersionRecord, 'createdAt'>): Promise<VersionRecord>;
  binding(chargerId: string): Promise<BindingRecord | null>;
  upsertBinding(b: Omit<BindingRecord, 'boundAt'> & { boundBy: string }): Promise<BindingRecord>;
  deleteBinding(chargerId: string): Promise<BindingRecord | null>;
  bindingsOfPlan(planId: string, protocol?: ChargerProtocol): Promise<BindingRecord[]>;
  /** Enqueue the change's events in the outbox, in this transaction. */
  announce(events: readonly TariffEvent[]): Promise<void>;
  /** Record the change in the audit trail, in this transaction (the tenant is the transaction's). */
  audit(entry: Omit<AuditEntryInput, 'tenantId'>): Promise<void>;
}

/** Changes, each in one tenant's transaction, and what pricing reads. (GraphQL's reads within a request's scope are the read side's.) */
export interface TariffStore {
  inTenant<T>(tenantId: string, fn: (tx: TariffTx) => Promise<T>): Promise<T>;

  // what pricing resolves, for one tenant
  resolution(tenantId: string, chargerId: string, stationId: string | null): Promise<Resolution | null>;
  planWithVersions(tenantId: string, planId: string): Promise<{ plan: PlanRecord; versions: VersionRecord[] } | null>;
}

export type ResolutionSource = 'CHARGER' | 'STATION' | 'TENANT';
export interface Resolution {
  planId: string;
  source: ResolutionSource;
}

/** Publishes tariff events; called after the commit. */
/** Told after a commit that enqueued events, so they go out now rather than at the next poll. */
export interface OutboxSignal {
  committed(): void;
}

/** A charger as the assets service has it: the facts a binding is made of, never taken from the client. */
export interface ChargerFacts {
  stationId: string;
  protocol: ChargerProtocol;
}

/**
 * Port: the charger's station and protocol, from assets (in production over
 * HTTP with a service token acting for the tenant, so RLS applies there).
 * `null`: no such charger in the tenant. Throws DEPENDENCY_UNAVAILABLE when
 * assets cannot answer.
 */
export interface ChargerLookup {
  charger(tenantId: string, chargerId: string): Promise<ChargerFacts | null>;
}

/** A completed session as orders priced it: the same usage (meter readings or total energy) and the total it was billed. */
export interface CompletedSessionUsage {
  orderId: string;
  chargerId: string | null;
  startedAt: Date;
  stoppedAt: Date;
  /** exact integer Wh, as a string */
  energyWh: string;
  /** register at start, the readings inside, register at stop; fewer than two: priced from energyWh spread evenly */
  readings: { at: Date; registerWh: string }[];
  billed: Money;
}

export interface CompletedSessionsPage {
  sessions: CompletedSessionUsage[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * Port: a station's completed, priced sessions that started in [from, to), oldest first, one
 * keyset page at a time (orders, over HTTP with a service token acting for the tenant — its
 * rows only). Throws DEPENDENCY_UNAVAILABLE when orders cannot answer.
 */
export interface CompletedSessions {
  page(tenantId: string, stationId: string, window: { from: Date; to: Date }, page: { first: number; after: string | null }): Promise<CompletedSessionsPage>;
}
