import type { OrderEvent } from '@evcs/events';
import type { AuditEntryInput, Money } from '@evcs/platform';
import type { MeterReading } from './meter';
import type { DiscrepancyKind } from './reconciliation';
import type { OrderState } from './states';
import type { ChargerMessage } from './timeline';

export interface OrderRecord {
  id: string;
  tenantId: string;
  stationId: string | null;
  chargerId: string | null;
  chargerCode: string;
  connectorNo: number;
  userId: string | null;
  idTag: string | null;
  origin: 'API' | 'CHARGER';
  transactionId: string | null;
  state: OrderState;
  startedAt: Date | null;
  stoppedAt: Date | null;
  meterStartWh: number | null;
  meterStopWh: number | null;
  energyWh: number | null;
  /** what is paid (the bill's total, or zero for nothing charged); null until priced */
  amount: Money | null;
  currency: string;
  bill: Bill | null;
  /** the charger's own bill (YKC 0x3B), kept beside the platform's and compared with it */
  chargerBill: ChargerBill | null;
  /** what a remote YKC start was allowed to spend (sent in 0x34), fen */
  preAuthorizedFen: number | null;
  failureReason: string | null;
  stopReason: string | null;
  reviewFlags: string[];
  idempotencyKey: string | null;
  /** a payment for it succeeded (payments events), whatever the state */
  paidAt: Date | null;
  paidAmount: Money | null;
  refundedAmount: Money;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What pricing returns (the tariffs engine's SessionPrice): itemised, rounded
 * once at the total, the parts the total shared out so they add up to it.
 * Amounts are Money; energies and unit prices exact decimal strings.
 */
export interface Bill {
  currency: string;
  planId: string;
  /** where the plan came from: the charger's binding, its station's default or the tenant's */
  source: string;
  /** plan versions that priced some part of the session */
  planVersions: number[];
  timezone: string;
  electricityAmount: Money;
  serviceAmount: Money;
  /** the exact cost before rounding, major units (compared with a pile's 4-decimal bill) */
  totalExact: string;
  /** totalExact rounded half-up to the minor unit: what is paid */
  total: Money;
  items: {
    planVersion: number;
    segmentNo: number;
    start: string;
    end: string;
    energyPrice: string;
    serviceFee: string;
    durationSeconds: string;
    energyWh: string;
    electricityAmount: Money;
    serviceAmount: Money;
  }[];
}

/** What a charger billed a session itself (YKC 0x3B): yuan with 4 decimals, energy in Wh. */
export interface ChargerBill {
  amount: string;
  energyWh: number;
  startedAt: string;
  endedAt: string;
  meterStartWh: number;
  meterStopWh: number;
  /** 尖/峰/平/谷 as the pile split them: unit price yuan/kWh (5 decimals), kWh and yuan (4 decimals) */
  tiers: { tier: string; unitPrice: string; energyKwh: string; amount: string }[];
}

export interface PricingRequest {
  tenantId: string;
  stationId: string | null;
  chargerId: string | null;
  startedAt: Date;
  stoppedAt: Date;
  energyWh: number;
  /** register readings inside the session, start and stop included when known */
  readings: MeterReading[];
}

/** The tariffs pricing engine, as orders sees it. */
export interface Pricer {
  price(req: PricingRequest): Promise<Bill>;
}

export interface ChargerInfo {
  chargerId: string;
  code: string;
  stationId: string;
  /** the station's IANA time zone, when assets names one */
  timezone?: string | null;
  protocol: 'OCPP16' | 'YKC';
  connectorNos: number[];
}

/** Where chargers are registered (the assets service). */
export interface ChargerDirectory {
  /**
   * @param connectorNo the connector the caller is about to use: a directory that may lag behind
   *   assets (the projection) asks assets again when its copy lacks it (added a moment ago)
   */
  byId(tenantId: string, chargerId: string, connectorNo?: number): Promise<ChargerInfo | null>;
  /** by the identity it connects with; null if not registered to this tenant */
  byCode(tenantId: string, code: string): Promise<ChargerInfo | null>;
  /**
   * The charger as this process last read it from the projection, with its revision, from
   * memory: a hint, not an answer. Whoever acts on it has the database confirm the revision in
   * the statement that acts (OrderStore.startInOneTrip); undefined for directories that keep none.
   */
  hint?(tenantId: string, chargerId: string): ChargerHint | null;
  /** Drop the hint: the database said it is not the charger's newest revision. */
  forgetHint?(tenantId: string, chargerId: string): void;
}

/** A charger as last projected, kept in memory by revision (ChargerDirectory.hint). */
export interface ChargerHint extends ChargerInfo {
  revision: number;
}

/**
 * What a start in one round trip found (OrderStore.startInOneTrip): under the connector's
 * lock, the order of the idempotency key if there is one, whether the charger's projected
 * revision is still the hinted one, whether a session is active on the connector — and the
 * order it created when all of that allowed it.
 */
export interface OneTripStart {
  replay: (OrderRecord & { requestHash: string | null }) | null;
  /** false: the hint was stale (changed, retired or never projected); nothing was created */
  projected: boolean;
  busy: boolean;
  /** null when nothing was created: for the reasons above, or the key or transaction id taken concurrently */
  created: OrderRecord | null;
}

export interface NewOrder {
  stationId: string | null;
  chargerId: string | null;
  chargerCode: string;
  connectorNo: number;
  userId: string | null;
  idTag: string | null;
  origin: 'API' | 'CHARGER';
  transactionId: string | null;
  state: OrderState;
  startedAt: Date | null;
  meterStartWh: number | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  preAuthorizedFen?: number | null;
  /** the charger message that created the order (a local start, a record of an unseen session): kept on its first transition */
  chargerMessage?: ChargerMessage | null;
}

export interface Transition {
  to: OrderState;
  /** only from these states (a conditional UPDATE): exactly-once over at-least-once */
  from: readonly OrderState[];
  reason?: string | null;
  /** the charger message that caused it, kept on the transition for the order's timeline */
  chargerMessage?: ChargerMessage | null;
  patch?: Partial<
    Pick<
      OrderRecord,
      | 'transactionId'
      | 'startedAt'
      | 'stoppedAt'
      | 'meterStartWh'
      | 'meterStopWh'
      | 'energyWh'
      | 'amount'
      | 'bill'
      | 'chargerBill'
      | 'failureReason'
      | 'stopReason'
    >
  >;
}

export interface ChargerCommand {
  type: 'session.start' | 'session.stop';
  chargerCode: string;
  connectorId?: number;
  idTag?: string;
  transactionId?: string;
  /** YKC: what the session may spend, fen (0x34 balance) */
  balanceCents?: number;
}

/** One tenant's transaction on the orders store. */
export interface OrderTx {
  readonly tenantId: string;
  /** Run `fn` once this transaction (or the batch it joined) has committed; never when it rolls back. */
  afterCommit(fn: () => void): void;
  /** Record the change in the audit trail, in this transaction (the tenant is the transaction's). */
  audit(entry: Omit<AuditEntryInput, 'tenantId'>): Promise<void>;
  /** Record an inbound event id; false if it was already processed. */
  markProcessed(eventId: string): Promise<boolean>;
  /**
   * markProcessed, and the order of this charger transaction with its accepted readings
   * (oldest first), in one round trip.
   */
  markProcessedAndFind(
    eventId: string,
    chargerCode: string,
    transactionId: string,
  ): Promise<{ fresh: boolean; order: OrderRecord | null; readings: MeterReading[] }>;
  /** Serialise decisions about one connector until commit. */
  lockConnector(chargerCode: string, connectorNo: number): Promise<void>;
  /**
   * lockConnector, then — under the lock — the order with this idempotency key and the
   * connector's active orders (one round trip).
   */
  lockConnectorAndLook(
    chargerCode: string,
    connectorNo: number,
    idempotencyKey: string,
  ): Promise<{
    byKey: (OrderRecord & { requestHash: string | null }) | null;
    active: OrderRecord[];
  }>;
  /**
   * The order and its first transition — with `command`, also the start command in the
   * outbox — or 'duplicate' (and nothing written) if a unique key says it exists already.
   */
  insertOrder(o: NewOrder, command?: ChargerCommand): Promise<OrderRecord | 'duplicate'>;
  byId(id: string): Promise<OrderRecord | null>;
  /** The order with its accepted readings (oldest first), or null. */
  byIdWithReadings(id: string): Promise<OrderWithReadings | null>;
  byIdempotencyKey(key: string): Promise<(OrderRecord & { requestHash: string | null }) | null>;
  byTransaction(chargerCode: string, transactionId: string): Promise<OrderRecord | null>;
  activeOnConnector(chargerCode: string, connectorNo: number): Promise<OrderRecord[]>;
  /** A PENDING API order waiting for this start: by transaction id (YKC) or by id tag (OCPP). */
  pendingStart(chargerCode: string, connectorNo: number, transactionId: string, idTag: string | null): Promise<OrderRecord | null>;
  /** Conditional transition; null if the order was not in one of `from`. */
  transition(orderId: string, t: Transition): Promise<OrderRecord | null>;
  addFlags(orderId: string, flags: readonly string[]): Promise<void>;
  readings(orderId: string): Promise<MeterReading[]>;
  /**
   * Readings kept relative to the session's start (YKC energy since start, while the meter
   * start was unknown) become register readings: each + `byWh`, at most `atMostWh`.
   */
  shiftReadings(orderId: string, byWh: number, atMostWh: number): Promise<void>;
  /**
   * The highest counter of the serials issued for this 28-digit prefix (pile, gun, second), 0 if
   * none. Call under the connector's lock.
   */
  lastSerialCounter(chargerCode: string, prefix: string): Promise<number>;
  /** This tenant's session settings; null fields: the defaults. */
  settings(): Promise<{ ykcPreAuthorizedFen: number | null }>;
  saveSettings(s: { ykcPreAuthorizedFen: number }): Promise<void>;
  insertReadings(orderId: string, readings: readonly MeterReading[]): Promise<number>;
  /** Something a charger said that matches no order: kept for review (idempotent by its key). */
  recordAnomaly(a: { kind: string; chargerCode: string; transactionId: string | null; detail: Record<string, unknown> }): Promise<void>;
  /** The charger's own bill of a session (YKC), kept for reconciliation; false if already known. */
  recordChargerRecord(r: {
    chargerCode: string;
    transactionId: string;
    startedAt: Date;
    endedAt: Date;
    energyWh: number;
    amount: string;
    tiers?: ChargerBill['tiers'];
  }): Promise<boolean>;
  /** Queue an order event in this transaction (outbox), keyed by the order. */
  enqueueOrderEvent(orderId: string, event: OrderEvent): Promise<void>;
  /** A payment for the order succeeded: recorded whatever the order's state. */
  recordPayment(orderId: string, paidAt: Date, amount: Money): Promise<OrderRecord | null>;
  /** Refunds so far, as the payments service totals them. */
  recordRefunded(orderId: string, refundedTotal: Money): Promise<void>;
  /** Queue a command for the charger in this transaction (outbox); returns the command id. */
  enqueueCommand(cmd: ChargerCommand & { orderId: string }): Promise<string>;
  /**
   * markProcessed, and if the event is new, the transition of the order that queued `commandId`
   * — in one statement. `fresh` false: a replay, nothing changed; `orderId` null: not one of ours.
   */
  onceTransitionOfCommand(eventId: string, commandId: string, t: Transition): Promise<{ fresh: boolean; orderId: string | null; moved: OrderRecord | null }>;
}

export interface OrderStore {
  inTenant<T>(tenantId: string, fn: (tx: OrderTx) => Promise<T>): Promise<T>;
  /**
   * Every inTenant call of this tenant made while `fn` runs joins one transaction, which
   * commits when `fn` resolves. All or nothing: if any of them fails, `fn` rejects and
   * nothing of the batch is kept (the caller then applies the facts one by one). For
   * consumers, so a chunk of events costs one BEGIN and one COMMIT, not one per event.
   */
  batch<T>(tenantId: string, fn: () => Promise<T>): Promise<T>;
  /**
   * A start on a charger known by a hint, in one transaction sent in one round trip: the
   * connector's lock, then the looks (key, projected revision, active session), then the order,
   * its first transition and its start command — inserted only if the key is unused, the
   * revision current and the connector free. The caller decides from what it found.
   */
  startInOneTrip(tenantId: string, charger: ChargerHint, order: NewOrder, command: ChargerCommand): Promise<OneTripStart>;
}

// ---- daily reconciliation ------------------------------------------------------------------

export interface NewDiscrepancy {
  kind: DiscrepancyKind;
  /** what it is about, unique per kind and day: `order:<id>` or `charger:<code>:<tx>` */
  subject: string;
  orderId: string | null;
  chargerCode: string | null;
  transactionId: string | null;
  expected: string | null;
  actual: string | null;
  detail: Record<string, unknown>;
}

export interface ChargerRecordRow {
  chargerCode: string;
  transactionId: string;
  endedAt: Date;
  energyWh: number;
  amount: string;
  /** totalExact: the platform's exact total (its bill), when priced */
  order: { id: string; energyWh: number | null; totalExact?: string | null } | null;
}

/** Keyset position: orders by (start, id); charger records by (end, charger code = id, transaction id = tx). */
export type Checkpoint = { at: string; id: string; tx?: string } | null;

export interface RunRecord {
  id: string;
  tenantId: string;
  businessDate: string;
  timezone: string;
  state: 'RUNNING' | 'COMPLETED' | 'FAILED';
  phase: 'ORDERS' | 'CHARGER_RECORDS' | 'DONE';
  checkpoint: Checkpoint;
  processed: number;
  discrepancies: number;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** An order with its accepted meter readings, oldest first. */
export interface OrderWithReadings {
  order: OrderRecord;
  readings: MeterReading[];
}

/** One tenant's transaction on the reconciliation store. */
export interface ReconTx {
  /**
   * Start the run of a date, or take over one whose worker stopped (no
   * heartbeat since `staleBefore`, or FAILED). 'busy': someone is on it; the
   * completed run is returned as is.
   */
  claimRun(date: string, timezone: string, staleBefore: Date): Promise<RunRecord | 'busy'>;
  /** The next orders of the day by (start, id), each with its accepted meter readings (oldest first). */
  ordersBatch(window: DayWindow, after: Checkpoint, limit: number): Promise<OrderWithReadings[]>;
  chargerRecordsBatch(window: DayWindow, after: Checkpoint, limit: number): Promise<ChargerRecordRow[]>;
  /** Persist a batch's discrepancies (ignoring ones already found) and move the checkpoint, atomically. */
  /** Saves the batch's discrepancies (a day's known ones are kept as they are); the kinds of those that are new. */
  saveBatch(
    runId: string,
    b: { phase: RunRecord['phase']; checkpoint: Checkpoint; processed: number; discrepancies: NewDiscrepancy[] },
  ): Promise<DiscrepancyKind[]>;
  finish(runId: string, state: 'COMPLETED' | 'FAILED', error?: string): Promise<RunRecord>;
}

export interface ReconStore {
  inTenant<T>(tenantId: string, fn: (tx: ReconTx) => Promise<T>): Promise<T>;
}

export interface DayWindow {
  from: Date;
  to: Date;
}

// ---- the chargers orders keeps (asset events) ----------------------------------------------

/** A charger as an asset event describes it, with the assets revision of that description. */
export interface ChargerSnapshot extends ChargerInfo {
  /** grows with every change of the charger in assets; 0: learned from a service call */
  revision: number;
  retired: boolean;
}

/**
 * Orders' projection of the chargers (fed by the assets service's events). Every call is
 * scoped to one tenant.
 */
export interface ChargerProjectionStore {
  /** the charger as last projected (retired included), or null if orders has never heard of it */
  byId(tenantId: string, chargerId: string): Promise<ChargerSnapshot | null>;
  /** the active charger with this identity, or null */
  byCode(tenantId: string, code: string): Promise<ChargerSnapshot | null>;
  /** Keep the snapshots that are newer than what is kept (by revision); older ones and repeats do nothing. */
  apply(tenantId: string, snapshots: readonly ChargerSnapshot[]): Promise<void>;
  /** Keep what a service call answered, unless an event has been applied meanwhile (revision 0). */
  remember(tenantId: string, charger: ChargerInfo): Promise<void>;
}
