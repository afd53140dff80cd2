import { ConnectorStatus } from '@evcs/events';

/**
 * Connector status as the platform keeps it. Status events arrive at least once
 * and possibly out of order (retries, partitions rebalancing), so applying one
 * must be idempotent (same event id → no change) and monotonic in charger time
 * (an older status never overwrites a newer one).
 *
 * The statuses are OCPP 1.6's, taken from the charger-event contract so the two cannot drift.
 */
export const CONNECTOR_STATUSES = ConnectorStatus.options;
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
  /** A FirmwareStatusNotification or DiagnosticsStatusNotification: the charger's latest status of that kind. */
  notice?: { kind: 'FIRMWARE' | 'DIAGNOSTICS'; status: string };
}
