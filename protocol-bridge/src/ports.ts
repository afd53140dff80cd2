/**
 * The ports of the bridge: what its core (connections, the OCPP and YKC handlers, the Kafka
 * listeners) depends on, defined here by that core. The adapters implement them —
 * directory.ts and id-tags.ts (GraphQL clients of assets and tenants), connections/charger-security.ts,
 * persistence/ (Postgres and in-memory stores), kafka/charger-event-publisher.ts, ykc/tariff-models.ts —
 * and server.ts / main.ts choose which.
 */
import type { ChargerEvent, LocalAuthEntry } from '@evcs/events';
import type { BillingModel } from './ykc/messages/billing-model';

// ── Charger directory (assets) ──

/** The identity fields of a YKC login (0x01) registered with a pile. */
export interface YkcPileIdentity {
  sim: string;
  pileType: number;
  guns: number;
  network: number;
  carrier: number;
  protocolVersion?: number | null;
  programVersion?: string | null;
}

/**
 * Which tenant and asset a connecting charger belongs to, and what it must
 * present to get in (assets is the source of truth; see ocpp/auth.ts and
 * ykc/login-check.ts for how it is enforced).
 */
export interface ChargerRegistration {
  tenantId: string;
  /** The asset id of the charger in the assets subgraph (not the identity it connects with). */
  chargerId: string;
  /** The station the charger belongs to (per-station policies, e.g. free vending). */
  stationId?: string;
  protocol?: 'OCPP16' | 'YKC';
  /** OCPP: 0 (no password), 1 (Basic), 2 (Basic over TLS). */
  securityProfile: 0 | 1 | 2 | null;
  /** scrypt hash of the OCPP Basic-auth password; null: none set. */
  credentialHash: string | null;
  /**
   * When its credential was revoked (assets' revokeChargerCredential): refused whatever it sends,
   * profile-0 commissioning included. Absent from assets that predate revocation.
   */
  credentialRevokedAt?: string | null;
  /** YKC: the identity its login must carry; null: not commissioned. */
  ykcIdentity: YkcPileIdentity | null;
  /** Networks (CIDR) it may connect from; empty: any. */
  allowedSourceCidrs: string[];
  /** YKC: the pile's 3DES key, by reference into the bridge's keyring. */
  desKeyRef: string | null;
  /** Its tenant's policy. */
  allowProfile0Commissioning: boolean;
  learnYkcIdentityOnFirstLogin: boolean;
}

/** What a directory entry needs at least; the rest defaults to "secure, nothing registered" (profile 1, no password). */

/**
 * Port: looks up the identity a charger connects with (OCPP chargePointId, YKC
 * pile code). `null` means "not registered" and the connection is refused; a
 * thrown error means "cannot tell right now" (retriable), and the charger is
 * asked to come back later rather than told it is unknown.
 */
export interface ChargerDirectory {
  resolve(chargePointId: string): Promise<ChargerRegistration | null>;
  /**
   * Ask again, past any cache (a password that does not match the cached hash may be a
   * freshly rotated one). Directories without a cache need not implement it.
   */
  refresh?(chargePointId: string): Promise<ChargerRegistration | null>;
  /**
   * A charger's registration changed at assets (registered, changed, retired): what is cached
   * under its code, or of that charger under an earlier code, is asked again next time.
   */
  forget?(change: RegistrationChange): void;
}

/** What an asset event says of a charger's registration (evcs.asset-events.v1). */
export interface RegistrationChange {
  tenantId: string;
  code: string;
  chargerId: string;
  retired: boolean;
  /** its credential is revoked: no copy of its registration may answer for it any more */
  credentialRevoked: boolean;
}

// ── Charger security records (assets) ──

export type LearnOutcome = 'LEARNED' | 'ALREADY_REGISTERED' | 'NOT_ALLOWED' | 'NOT_FOUND';

/**
 * Port: where the bridge reports what it learned about a charger and which
 * logins it refused — the assets service, which keeps the charger's security
 * and its audit log. Throwing means "cannot tell now": the login is left
 * unanswered and the pile tries again.
 */
export interface ChargerSecurityRecorder {
  /** First commissioning login of a YKC pile whose tenant learns identities. */
  learnYkcIdentity(registration: ChargerRegistration, code: string, identity: YkcPileIdentity): Promise<LearnOutcome>;
  /** A refused login, for the audit log. Best effort: a failure is logged, not raised. */
  refusedLogin(registration: ChargerRegistration, code: string, reason: string, detail: Record<string, unknown>): Promise<void>;
}

// ── Id-tag authority (tenants) ──

export type AuthorizationStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';

/** The authority's answer for one tag: OCPP IdTagInfo plus the user it belongs to. */
export interface IdTagAnswer {
  status: AuthorizationStatus;
  /** ISO-8601 with zone. */
  expiryDate?: string;
  parentIdTag?: string;
  userId?: string;
}

export interface LocalAuthList {
  version: number;
  entries: LocalAuthEntry[];
}

/**
 * Port: the tenant's id-token authority (the tenants subgraph). A thrown error
 * means "cannot tell right now" — never "unknown tag"; callers decide the
 * fallback (protocol-bridge/README.md, "Id tags").
 */
export interface IdTagAuthority {
  authorize(tenantId: string, idTag: string, stationId?: string): Promise<IdTagAnswer>;
  /** The tenant's whole local authorization list, for chargers' OCPP local lists. */
  localList(tenantId: string): Promise<LocalAuthList>;
  /** Drop cached answers for a tenant whose tags changed (an adapter that caches). */
  forget?(tenantId: string): void;
}

// ── Charger events (Kafka) ──

/**
 * Port: puts charger events on the bus. `publish` resolves only once the event
 * is durable (the bus acknowledges with acks=all), so a caller may then tell the
 * charger "received"; if it rejects, nothing was acknowledged and the charger
 * must send again.
 */
export interface ChargerEventPublisher {
  publish(event: ChargerEvent): Promise<void>;
  /** Publish whatever is queued, then refuse new events. */
  close(): Promise<void>;
}

// ── The bridge's own state (Postgres `bridge`) ──

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
  /** Refresh seen_at of every connection this bridge holds (a statement per tenant and per few thousand codes). */
  touchConnections(bridgeId: string, chargerCodes: { tenantId: string; chargerCode: string }[], at: Date): Promise<void>;
  /** Forget the connection, if `bridgeId` still holds it. */
  releaseConnection(tenantId: string, chargerCode: string, bridgeId: string): Promise<void>;
  connectionHolder(tenantId: string, chargerCode: string): Promise<ConnectionHolder | null>;
  /** True if this call decided the command (first to claim it). */
  claimCommand(tenantId: string, c: { commandId: string; chargerCode: string; bridgeId: string }): Promise<boolean>;
  /**
   * connectionHolder and claimCommand at once, for a command whose charger is not connected
   * here: the holder as recorded, and the claim — made only if no other bridge has held the
   * charger since `freshSince` (then the command is that bridge's to decide).
   */
  claimUnlessHeldElsewhere(
    tenantId: string,
    c: { commandId: string; chargerCode: string; bridgeId: string; freshSince: Date },
  ): Promise<{ holder: ConnectionHolder | null; claimed: boolean }>;
  close(): Promise<void>;
}

/** What a charger's OCPP local authorization list holds, as far as the bridge knows. */
export interface LocalListState {
  supported: boolean;
  /** Last version the charger confirmed; null: not known. */
  version: number | null;
}

/** Port: per-charger local-list state, under the charger's tenant like every bridge row. */
export interface LocalListStore {
  get(tenantId: string, chargerCode: string): Promise<LocalListState | null>;
  set(tenantId: string, chargerCode: string, state: LocalListState): Promise<void>;
}

// ── Billing models (tariffs) ──

/** The billing model a pile should run. `null`: none known (the pile keeps its own). */
export interface BillingModelSource {
  modelFor(tenantId: string, pileNo: string): Promise<BillingModel | null>;
  /** Drop what is known of this tenant's models (its plans or bindings changed). */
  forget?(tenantId: string): void;
}
