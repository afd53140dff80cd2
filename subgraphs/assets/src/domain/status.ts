/**
 * Connector status as the platform keeps it. Status events arrive at least once
 * and possibly out of order (retries, partitions rebalancing), so applying one
 * must be idempotent (same event id → no change) and monotonic in charger time
 * (an older status never overwrites a newer one).
 */
export const CONNECTOR_STATUSES = [
  'Available',
  'Preparing',
  'Charging',
  'SuspendedEV',
  'SuspendedEVSE',
  'Finishing',
  'Reserved',
  'Unavailable',
  'Faulted',
] as const;
export type ConnectorStatusValue = (typeof CONNECTOR_STATUSES)[number];

export interface StatusObservation {
  eventId: string;
  chargerCode: string;
  /** 0 = the charger as a whole */
  connectorNo: number;
  status: ConnectorStatusValue;
  errorCode: string | null;
  occurredAt: Date;
}

export type ApplyOutcome = 'applied' | 'duplicate' | 'stale' | 'unknown-charger' | 'charger-level';

export interface ChargerPresence {
  eventId: string;
  chargerCode: string;
  at: Date;
  online?: boolean;
  boot?: { vendor: string; model: string; firmwareVersion?: string };
}

/** Port implemented by persistence; every call is scoped to one tenant. */
export interface StatusStore {
  applyConnectorStatus(tenantId: string, obs: StatusObservation): Promise<ApplyOutcome>;
  applyPresence(tenantId: string, p: ChargerPresence): Promise<'applied' | 'unknown-charger'>;
  /**
   * Everything applied for this tenant while `fn` runs joins one transaction, committed when
   * `fn` resolves — all or nothing: one failure and `fn` rejects with nothing kept.
   */
  batch<T>(tenantId: string, fn: () => Promise<T>): Promise<T>;
}
