/**
 * Ports for the bridge's own state. Every method takes the tenant first: the
 * bridge resolved it from the charger directory, never from the charger.
 * PgBridgeStore is the real one; MemoryBridgeStore serves unit tests and a
 * bridge run without a database (demo only: ids restart with the process).
 */

export interface OcppStart {
  chargerCode: string;
  connectorId: number;
  idTag: string;
  meterStart: number;
  startedAt: Date;
}

export interface StartOutcome {
  transactionId: number;
  /** The same session was started before (a resend): the same id is returned. */
  resend: boolean;
}

export interface OcppStop {
  chargerCode: string;
  transactionId: number;
  meterStop: number;
  stoppedAt: Date;
  reason?: string;
}

export type StopOutcome = { known: true; connectorId: number; idTag: string; alreadyStopped: boolean } | { known: false };

export type RecordClaim = 'new' | 'unpublished-resend' | 'published';

export interface ConnectionHolder {
  bridgeId: string;
  protocol: string;
  seenAt: Date;
}

export interface BridgeStore {
  startTransaction(tenantId: string, s: OcppStart): Promise<StartOutcome>;
  stopTransaction(tenantId: string, s: OcppStop): Promise<StopOutcome>;
  claimTransactionRecord(tenantId: string, r: { serial: string; chargerCode: string; gunNo: number }): Promise<RecordClaim>;
  markRecordPublished(tenantId: string, serial: string): Promise<void>;
  /** Record that `bridgeId` now holds the charger's connection. */
  holdConnection(tenantId: string, c: { chargerCode: string; bridgeId: string; protocol: string; at: Date }): Promise<void>;
  /** Refresh seen_at of every connection this bridge holds (one statement for all). */
  touchConnections(bridgeId: string, chargerCodes: { tenantId: string; chargerCode: string }[], at: Date): Promise<void>;
  /** Forget the connection, if `bridgeId` still holds it. */
  releaseConnection(tenantId: string, chargerCode: string, bridgeId: string): Promise<void>;
  connectionHolder(tenantId: string, chargerCode: string): Promise<ConnectionHolder | null>;
  /** True if this call decided the command (first to claim it). */
  claimCommand(tenantId: string, c: { commandId: string; chargerCode: string; bridgeId: string }): Promise<boolean>;
  close(): Promise<void>;
}
