import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { judgeReadings, MeterReading } from './meter';
import {
  type AuditActor,
  type BusinessMetrics,
  fail,
  formatMoney,
  money,
  type Money,
  moneyEquals,
  NO_BUSINESS_METRICS,
  ok,
  type Outcome,
  zeroMoney,
} from '@evcs/platform';
import { toX1e4 } from './money';
import { pricingRequest } from './pricing-input';
import type {
  Bill,
  ChargerBill,
  ChargerCommand,
  ChargerDirectory,
  ChargerHint,
  ChargerInfo,
  NewOrder,
  OrderRecord,
  OrderStore,
  OrderTx,
  OrderWithReadings,
  Pricer,
} from './ports';
import { YKC_DEFAULT_TIMEZONE, YKC_SERIAL_COUNTER_MAX, ykcSerial, ykcSerialPrefix } from './ykc-serial';
import { ACTIVE_STATES, IllegalTransitionError, OrderState, statesLeadingTo } from './states';
import { payableDescription } from './payable';
import type { ChargerMessage } from './timeline';
import { UserErrorCodes } from './error-codes';

export interface Clock {
  now(): Date;
}

export type { Outcome, UserError } from '@evcs/platform';

/** Who asks: the verified identity reduced to what the service needs. */
/** What the audit trail keeps of an order: its state and what it billed. */
const orderFacts = (o: OrderRecord) => ({
  state: o.state,
  energyWh: o.energyWh,
  amount: o.amount ? { minor: o.amount.minor, currency: o.amount.currency } : null,
});

export interface Caller {
  tenantId: string;
  userId: string | null;
}

// ---- facts from chargers (protocol-neutral; mapped from charger events) -------------------------

interface FactBase {
  eventId: string;
  tenantId: string;
  chargerCode: string;
  /**
   * The charger event the fact was read from, as the bridge published it: kept on every
   * transition the fact causes (the order's timeline). The events consumer always sets it.
   */
  message?: ChargerMessage;
}
export interface SessionStartedFact extends FactBase {
  connectorNo: number;
  transactionId: string;
  idTag: string | null;
  meterStartWh: number | null;
  startedAt: Date;
  /** The user the id tag belongs to, as the tenant's id-token authority answered. */
  userId?: string | null;
  /** The authority's answer for idTag (OCPP AuthorizationStatus); null: not checked. */
  authorization?: string | null;
}
export interface MeterValuesFact extends FactBase {
  connectorNo: number;
  transactionId: string | null;
  readings: MeterReading[];
  /**
   * REGISTER (default): the meter's register. SINCE_START: energy charged since the session
   * started (YKC 0x13), `registerWh` holding that energy.
   */
  basis?: 'REGISTER' | 'SINCE_START';
}
export interface SessionStoppedFact extends FactBase {
  transactionId: string;
  meterStopWh: number | null;
  stoppedAt: Date;
  reason: string | null;
}
export interface ChargerRecordFact extends FactBase {
  transactionId: string;
  connectorNo: number;
  startedAt: Date;
  endedAt: Date;
  meterStartWh: number;
  meterStopWh: number;
  /** the charger's total energy, Wh */
  energyWh: number;
  /** the charger's total, yuan (4 decimals) */
  amount: string;
  tiers: ChargerBill['tiers'];
}
export interface StartCommandResultFact extends FactBase {
  commandId: string;
  accepted: boolean;
  reason: string | null;
}

export interface PaymentSucceededFact {
  eventId: string;
  tenantId: string;
  orderId: string;
  amount: Money;
  paidAt: Date;
}
export interface RefundSucceededFact {
  eventId: string;
  tenantId: string;
  orderId: string;
  refundedTotal: Money;
  fullyRefunded: boolean;
}

export type FactOutcome = 'applied' | 'duplicate' | 'flagged' | 'ignored';

export interface SessionSettings {
  /** a remote start the charger hasn't confirmed in this time fails */
  startTimeoutMs: number;
  /** what a remote YKC start may spend when neither the request nor the tenant's settings say, fen */
  ykcPreAuthorizedFen: number;
  /** a charger's own total further than this from the platform's (10^-4 yuan) is flagged PILE_AMOUNT_MISMATCH */
  pileAmountToleranceX1e4: number;
}
export const DEFAULT_SESSION_SETTINGS: SessionSettings = { startTimeoutMs: 90_000, ykcPreAuthorizedFen: 20_000, pileAmountToleranceX1e4: 100 };

/** The bounds of a pre-authorised amount (fen): 0.01 to 10,000.00 yuan. */
export const PRE_AUTHORIZED_FEN_MAX = 1_000_000;

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** The orders side's own token for a remote start: OCPP idTag (CiString20), unique per order. */
export const newRemoteIdTag = (): string => `EV${randomBytes(9).toString('hex').toUpperCase()}`;

const requestHash = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

const connectorBusy = () => fail<OrderRecord>(UserErrorCodes.CONNECTOR_BUSY, 'connectorNo', 'A session is already active on this connector');

/** An API start's PENDING order and its start command, whichever path writes them. */
function apiStart(
  caller: Caller,
  input: { connectorNo: number; idempotencyKey: string },
  charger: ChargerInfo,
  hash: string,
  idTag: string,
  ykc: { transactionId: string | null; preAuthorizedFen: number | null },
): { order: NewOrder; command: ChargerCommand } {
  const { transactionId, preAuthorizedFen } = ykc;
  return {
    order: {
      stationId: charger.stationId,
      chargerId: charger.chargerId,
      chargerCode: charger.code,
      connectorNo: input.connectorNo,
      userId: caller.userId,
      idTag,
      origin: 'API',
      transactionId,
      state: 'PENDING',
      startedAt: null,
      meterStartWh: null,
      idempotencyKey: input.idempotencyKey,
      requestHash: hash,
      preAuthorizedFen,
    },
    command: {
      type: 'session.start',
      chargerCode: charger.code,
      connectorId: input.connectorNo,
      idTag,
      ...(transactionId ? { transactionId } : {}),
      ...(preAuthorizedFen !== null ? { balanceCents: preAuthorizedFen } : {}),
    },
  };
}

/**
 * Charging sessions from plug to bill. Every effect is made exactly once over
 * at-least-once inputs: inbound events are recorded by id in the same
 * transaction as their effects, orders are unique by (charger, transaction id)
 * and by idempotency key, and every state change is a conditional update from
 * the states that may lead to it.
 */
export class SessionService {
  constructor(
    private readonly store: OrderStore,
    private readonly chargers: ChargerDirectory,
    private readonly pricer: Pricer,
    private readonly clock: Clock,
    settings: Partial<SessionSettings> = {},
    /** told what happened to orders and starts, once it is committed */
    private readonly metrics: BusinessMetrics = NO_BUSINESS_METRICS,
  ) {
    this.settings = { ...DEFAULT_SESSION_SETTINGS, ...settings };
  }

  private readonly settings: SessionSettings;

  /** Facts applied inside `fn` for this tenant commit together, all or nothing (OrderStore.batch). */
  inBatch<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.store.batch(tenantId, fn);
  }

  // ---- API ----------------------------------------------------------------------------------

  async startCharging(
    caller: Caller,
    input: { chargerId: string; connectorNo: number; idempotencyKey: string; preAuthorizedFen?: number | null },
  ): Promise<Outcome<OrderRecord>> {
    const outcome = await this.tryStart(caller, input);
    if (!outcome.ok) this.metrics.startRefused(caller.tenantId, outcome.errors[0]?.code ?? 'UNKNOWN');
    return outcome;
  }

  private async tryStart(
    caller: Caller,
    input: { chargerId: string; connectorNo: number; idempotencyKey: string; preAuthorizedFen?: number | null },
  ): Promise<Outcome<OrderRecord>> {
    if (!IDEMPOTENCY_KEY.test(input.idempotencyKey))
      return fail(UserErrorCodes.INVALID_INPUT, 'idempotencyKey', 'Idempotency key: 8–128 of letters, digits, ".", "_", ":", "-"');
    if (!Number.isInteger(input.connectorNo) || input.connectorNo < 1 || input.connectorNo > 255)
      return fail(UserErrorCodes.INVALID_INPUT, 'connectorNo', 'Connector number must be 1–255');
    const asked = input.preAuthorizedFen ?? null;
    if (asked !== null && (!Number.isInteger(asked) || asked < 1 || asked > PRE_AUTHORIZED_FEN_MAX)) {
      return fail(
        UserErrorCodes.INVALID_INPUT,
        'preAuthorizedAmountMinor',
        `A pre-authorised amount is 1–${PRE_AUTHORIZED_FEN_MAX} fen (0.01–${formatMoney(money(PRE_AUTHORIZED_FEN_MAX, 'CNY'))})`,
      );
    }
    const hash = requestHash({
      chargerId: input.chargerId,
      connectorNo: input.connectorNo,
      userId: caller.userId,
      ...(asked !== null ? { preAuthorizedFen: asked } : {}),
    });
    const viaHint = await this.startOnHint(caller, input, hash);
    if ('outcome' in viaHint) return viaHint.outcome;
    const charger = viaHint.charger !== undefined ? viaHint.charger : await this.chargers.byId(caller.tenantId, input.chargerId, input.connectorNo);
    return this.store.inTenant(caller.tenantId, async (tx) => {
      // Lock first, then look for the key: a concurrent request with the same key has either
      // committed (and is found) or waits behind us. A replay is answered even if the charger
      // has gone since.
      const target = charger && charger.connectorNos.includes(input.connectorNo) ? charger : null;
      const { byKey: replay, active } = target
        ? await tx.lockConnectorAndLook(target.code, input.connectorNo, input.idempotencyKey)
        : { byKey: await tx.byIdempotencyKey(input.idempotencyKey), active: [] };
      if (replay) return this.replayed(replay, hash);
      if (!charger) return fail<OrderRecord>(UserErrorCodes.NOT_FOUND, 'chargerId', 'Unknown charger');
      if (!target) return fail<OrderRecord>(UserErrorCodes.NOT_FOUND, 'connectorNo', `Charger ${charger.code} has no connector ${input.connectorNo}`);
      if (active.length) return connectorBusy();
      const ykc = await this.ykcStart(tx, charger, input.connectorNo, asked);
      if (!ykc.ok) return ykc;
      // The order, its first transition and its start command (outbox) in one statement.
      const start = apiStart(caller, input, charger, hash, newRemoteIdTag(), ykc.value);
      const order = await tx.insertOrder(start.order, start.command);
      // Same key raced in another transaction: that one won; answer with it.
      if (order === 'duplicate') return this.winnerOf(tx, input.idempotencyKey, hash);
      tx.afterCommit(() => this.metrics.orderCreated(caller.tenantId, 'API'));
      return ok(order);
    });
  }

  /**
   * An OCPP charger this process holds a hint of starts in one round trip (startInOneTrip). No
   * hint yet (not read since the process started): reading the charger leaves one, and the start
   * is then its second trip. A stale hint, a YKC pile or a connector the hint lacks take the
   * statement-by-statement path, with the charger as read here (`charger`; undefined: not read,
   * or read before a stale hint and to be read afresh).
   */
  private async startOnHint(
    caller: Caller,
    input: { chargerId: string; connectorNo: number; idempotencyKey: string },
    hash: string,
  ): Promise<{ outcome: Outcome<OrderRecord> } | { charger: ChargerInfo | null | undefined }> {
    if (!this.chargers.hint) return { charger: undefined };
    let charger: ChargerInfo | null | undefined;
    let hint = this.chargers.hint(caller.tenantId, input.chargerId);
    if (!hint) {
      charger = await this.chargers.byId(caller.tenantId, input.chargerId, input.connectorNo);
      hint = this.chargers.hint(caller.tenantId, input.chargerId);
    }
    if (!hint || hint.protocol === 'YKC' || !hint.connectorNos.includes(input.connectorNo)) return { charger };
    const outcome = await this.startInOneTrip(caller, input, hint, hash);
    if (outcome) return { outcome };
    this.chargers.forgetHint?.(caller.tenantId, input.chargerId);
    return { charger: undefined };
  }

  /**
   * An OCPP start on a charger this process has seen projected, in one round trip
   * (OrderStore.startInOneTrip): the same rules in the same order as the statement-by-statement
   * path — a replay is answered first, then the charger must still be the one hinted (the
   * database compares revisions), then the connector free. Null when the hint was stale. No YKC
   * pile: its serial needs a read under the lock before the insert.
   */
  private async startInOneTrip(
    caller: Caller,
    input: { chargerId: string; connectorNo: number; idempotencyKey: string },
    charger: ChargerHint,
    hash: string,
  ): Promise<Outcome<OrderRecord> | null> {
    const start = apiStart(caller, input, charger, hash, newRemoteIdTag(), { transactionId: null, preAuthorizedFen: null });
    const found = await this.store.startInOneTrip(caller.tenantId, charger, start.order, start.command);
    if (found.replay) return this.replayed(found.replay, hash);
    if (!found.projected) return null;
    if (found.busy) return connectorBusy();
    if (found.created) {
      this.metrics.orderCreated(caller.tenantId, 'API');
      return ok(found.created);
    }
    // The key (or the charger's transaction id) was taken by a start that committed meanwhile: answer with it.
    return this.store.inTenant(caller.tenantId, (tx) => this.winnerOf(tx, input.idempotencyKey, hash));
  }

  /** The order a concurrent start with this key committed, as its replay. */
  private async winnerOf(tx: OrderTx, idempotencyKey: string, hash: string): Promise<Outcome<OrderRecord>> {
    const winner = await tx.byIdempotencyKey(idempotencyKey);
    return winner ? this.replayed(winner, hash) : fail<OrderRecord>(UserErrorCodes.CONFLICT, null, 'Try again');
  }

  /** The next serial of this pile and gun, on the station's clock; the caller holds the connector's lock. */
  /** A YKC pile is started with a transaction serial the platform assigns and a balance it may spend; OCPP needs neither. */
  private async ykcStart(
    tx: OrderTx,
    charger: ChargerInfo,
    connectorNo: number,
    asked: number | null,
  ): Promise<Outcome<{ transactionId: string | null; preAuthorizedFen: number | null }>> {
    if (charger.protocol !== 'YKC') return ok({ transactionId: null, preAuthorizedFen: null });
    const serial = await this.nextYkcSerial(tx, charger, connectorNo);
    if (!serial.ok) return serial;
    return ok({ transactionId: serial.value, preAuthorizedFen: asked ?? (await tx.settings()).ykcPreAuthorizedFen ?? this.settings.ykcPreAuthorizedFen });
  }

  private async nextYkcSerial(tx: OrderTx, charger: ChargerInfo, connectorNo: number): Promise<Outcome<string>> {
    const prefix = ykcSerialPrefix(charger.code, connectorNo, this.clock.now(), charger.timezone ?? YKC_DEFAULT_TIMEZONE);
    if (!prefix)
      return fail(
        UserErrorCodes.INVALID_INPUT,
        'connectorNo',
        `YKC pile ${charger.code} cannot be started on connector ${connectorNo}: a YKC serial needs a 14-digit pile number and a gun 1–99`,
      );
    const counter = (await tx.lastSerialCounter(charger.code, prefix)) + 1;
    if (counter > YKC_SERIAL_COUNTER_MAX) return fail(UserErrorCodes.CONFLICT, 'connectorNo', 'Too many starts on this connector within one second; try again');
    return ok(ykcSerial(prefix, counter));
  }

  /** The tenant's session settings, defaults filled in. */
  async sessionSettings(tenantId: string): Promise<{ ykcPreAuthorizedFen: number }> {
    const s = await this.store.inTenant(tenantId, (tx) => tx.settings());
    return { ykcPreAuthorizedFen: s.ykcPreAuthorizedFen ?? this.settings.ykcPreAuthorizedFen };
  }

  async updateSessionSettings(caller: Caller, input: { ykcPreAuthorizedFen: number }): Promise<Outcome<{ ykcPreAuthorizedFen: number }>> {
    const v = input.ykcPreAuthorizedFen;
    if (!Number.isInteger(v) || v < 1 || v > PRE_AUTHORIZED_FEN_MAX)
      return fail(UserErrorCodes.INVALID_INPUT, 'ykcPreAuthorizedAmountMinor', `A pre-authorised amount is 1–${PRE_AUTHORIZED_FEN_MAX} fen`);
    await this.store.inTenant(caller.tenantId, (tx) => tx.saveSettings({ ykcPreAuthorizedFen: v }));
    return ok({ ykcPreAuthorizedFen: v });
  }

  private replayed(o: OrderRecord & { requestHash: string | null }, hash: string): Outcome<OrderRecord> {
    return o.requestHash === hash
      ? ok(o)
      : fail(UserErrorCodes.IDEMPOTENCY_KEY_REUSED, 'idempotencyKey', 'This idempotency key was used for a different request');
  }

  async stopCharging(caller: Caller, orderId: string): Promise<Outcome<OrderRecord>> {
    return this.store.inTenant(caller.tenantId, async (tx) => {
      const order = await tx.byId(orderId);
      if (!order) return fail<OrderRecord>(UserErrorCodes.NOT_FOUND, 'orderId', 'Unknown order');
      if (order.state === 'FINISHING') return ok(order); // asked already: the same answer
      const moved = await tx.transition(order.id, { to: 'FINISHING', from: ['CHARGING'], reason: 'STOP_REQUESTED' });
      if (!moved) return fail<OrderRecord>(UserErrorCodes.ILLEGAL_TRANSITION, 'orderId', new IllegalTransitionError(order.state, 'FINISHING').message);
      await tx.enqueueCommand({
        orderId: order.id,
        type: 'session.stop',
        chargerCode: order.chargerCode,
        connectorId: order.connectorNo,
        ...(order.transactionId ? { transactionId: order.transactionId } : {}),
      });
      return ok(moved);
    });
  }

  /**
   * An operator closes a session the charger will never close (it went offline
   * for good). Billed with what is known: the last trusted reading, or nothing.
   */
  async forceClose(caller: Caller & { audit: AuditActor }, input: { orderId: string; reason: string }): Promise<Outcome<OrderRecord>> {
    const reason = input.reason.trim();
    if (reason.length < 5 || reason.length > 500) return fail(UserErrorCodes.INVALID_INPUT, 'reason', 'Give a reason of 5–500 characters');
    return this.store.inTenant(caller.tenantId, async (tx) => {
      const found = await tx.byIdWithReadings(input.orderId);
      if (!found) return fail<OrderRecord>(UserErrorCodes.NOT_FOUND, 'orderId', 'Unknown order');
      const closed = await this.forceCloseFound(tx, found, reason);
      if (closed.ok) {
        await tx.audit({
          actor: caller.audit,
          action: 'ORDER_FORCE_CLOSED',
          target: { type: 'order', id: found.order.id },
          before: orderFacts(found.order),
          after: orderFacts(closed.value),
          details: { reason },
        });
      }
      return closed;
    });
  }

  private async forceCloseFound(tx: OrderTx, found: OrderWithReadings, reason: string): Promise<Outcome<OrderRecord>> {
    const { order, readings } = found;
    if (!ACTIVE_STATES.includes(order.state)) return fail<OrderRecord>(UserErrorCodes.ILLEGAL_TRANSITION, 'orderId', `The order is ${order.state}, not active`);
    if (order.state === 'PENDING') return this.failPending(tx, order, reason);
    const last = readings.at(-1);
    // Without a meter start (a YKC session whose record never came) the readings count energy
    // since the start: the meter is taken to have stood at 0 then.
    const relative = order.meterStartWh === null && order.startedAt !== null && readings.length > 0;
    const done = await this.complete(tx, order, {
      stoppedAt: last?.at ?? order.startedAt ?? this.clock.now(),
      meterStopWh: last?.registerWh ?? order.meterStartWh,
      reason: `FORCE_CLOSED: ${reason}`,
      ...(relative ? { start: { startedAt: order.startedAt!, meterStartWh: 0 } } : {}),
    });
    if (done) await tx.addFlags(order.id, ['FORCE_CLOSED']);
    return done ? ok(done) : fail<OrderRecord>(UserErrorCodes.CONFLICT, 'orderId', 'The order changed meanwhile; look again');
  }

  /** A start that never began, closed by an operator: FAILED, nothing to bill. */
  private async failPending(tx: OrderTx, order: OrderRecord, reason: string): Promise<Outcome<OrderRecord>> {
    const failed = await tx.transition(order.id, {
      to: 'FAILED',
      from: ['PENDING'],
      reason: 'FORCE_CLOSED',
      patch: { failureReason: `FORCE_CLOSED: ${reason}` },
    });
    if (!failed) return fail(UserErrorCodes.CONFLICT, 'orderId', 'The order changed meanwhile; look again');
    tx.afterCommit(() => this.metrics.orderFailed(order.tenantId, 'FORCE_CLOSED'));
    return ok(failed);
  }

  /** Fail remote starts the charger never confirmed. Run periodically; `stale` finds PENDING orders created before a time. */
  async expirePendingStarts(stale: (before: Date) => Promise<{ id: string; tenantId: string }[]>): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.settings.startTimeoutMs);
    let n = 0;
    for (const { id, tenantId } of await stale(before)) {
      const moved = await this.store.inTenant(tenantId, async (tx) => {
        const failed = await tx.transition(id, {
          to: 'FAILED',
          from: ['PENDING'],
          reason: 'START_TIMEOUT',
          patch: { failureReason: 'START_TIMEOUT: the charger never confirmed the start' },
        });
        if (failed) tx.afterCommit(() => this.startFailed(tenantId, 'START_TIMEOUT'));
        return failed;
      });
      if (moved) n++;
    }
    return n;
  }

  // ---- facts from chargers ------------------------------------------------------------------

  async onStartCommandResult(f: StartCommandResultFact): Promise<FactOutcome> {
    if (f.accepted) return 'ignored'; // the session starts when the charger says so (session.started)
    return this.store.inTenant(f.tenantId, async (tx) => {
      // Recorded once; the order that queued the command, if any (else not one of ours), moved from PENDING only.
      const { fresh, moved } = await tx.onceTransitionOfCommand(f.eventId, f.commandId, {
        to: 'FAILED',
        from: ['PENDING'],
        reason: 'START_REJECTED',
        chargerMessage: f.message,
        patch: { failureReason: `START_REJECTED: ${f.reason ?? 'the charger refused'}` },
      });
      if (!fresh) return 'duplicate';
      if (moved) tx.afterCommit(() => this.startFailed(f.tenantId, 'START_REJECTED'));
      return moved ? 'applied' : 'ignored';
    });
  }

  async onSessionStarted(f: SessionStartedFact): Promise<FactOutcome> {
    // Outside the transaction: no locks held while another service answers.
    const charger = await this.chargers.byCode(f.tenantId, f.chargerCode);
    return this.once(f, async (tx) => {
      // A resent StartTransaction carries the same transaction id: one order. A YKC serial is
      // issued by the platform and stored on the pending order at once: the pile's 0x33 names
      // it, and is that order's start, not a resend.
      const known = await tx.byTransaction(f.chargerCode, f.transactionId);
      if (known) {
        if (known.state !== 'PENDING') return 'duplicate';
        const moved = await tx.transition(known.id, {
          to: 'CHARGING',
          from: ['PENDING'],
          reason: 'STARTED',
          chargerMessage: f.message,
          patch: { startedAt: f.startedAt, meterStartWh: f.meterStartWh },
        });
        if (moved) tx.afterCommit(() => this.metrics.startAccepted(f.tenantId));
        return moved ? 'applied' : 'duplicate';
      }
      await tx.lockConnector(f.chargerCode, f.connectorNo);
      const pending = await tx.pendingStart(f.chargerCode, f.connectorNo, f.transactionId, f.idTag);
      if (pending) {
        const moved = await tx.transition(pending.id, {
          to: 'CHARGING',
          from: ['PENDING'],
          reason: 'STARTED',
          chargerMessage: f.message,
          patch: { transactionId: f.transactionId, startedAt: f.startedAt, meterStartWh: f.meterStartWh },
        });
        if (moved) {
          tx.afterCommit(() => this.metrics.startAccepted(f.tenantId));
          return 'applied';
        }
      }
      // A local start (card, plug-and-charge). An older session still open on the
      // connector means its stop was lost: it stays open for review, flagged.
      const stale = await tx.activeOnConnector(f.chargerCode, f.connectorNo);
      for (const s of stale) await tx.addFlags(s.id, ['SUPERSEDED_BY_NEW_SESSION']);
      const created = await tx.insertOrder(chargerStartedOrder(f, charger, { userId: f.userId ?? null, idTag: f.idTag }));
      if (created === 'duplicate') return 'duplicate';
      tx.afterCommit(() => this.metrics.orderCreated(f.tenantId, 'CHARGER'));
      // The charger started with a tag the authority refused (OCPP still numbers the session): reviewable, not trusted.
      if (f.authorization && f.authorization !== 'Accepted') await tx.addFlags(created.id, [`ID_TAG_${f.authorization.toUpperCase()}`]);
      return 'applied';
    });
  }

  async onMeterValues(f: MeterValuesFact): Promise<FactOutcome> {
    const { transactionId } = f;
    if (transactionId) {
      // The common case (OCPP sends the transaction id): inbox, order and readings in one round trip.
      return this.store.inTenant(f.tenantId, async (tx) => {
        const { fresh, order, readings } = await tx.markProcessedAndFind(f.eventId, f.chargerCode, transactionId);
        return fresh ? this.applyReadings(tx, f, order, readings) : 'duplicate';
      });
    }
    return this.once(f, async (tx) => {
      const order = (await tx.activeOnConnector(f.chargerCode, f.connectorNo))[0] ?? null;
      return this.applyReadings(tx, f, order, order ? await tx.readings(order.id) : []);
    });
  }

  private async applyReadings(tx: OrderTx, f: MeterValuesFact, order: OrderRecord | null, accepted: MeterReading[]): Promise<FactOutcome> {
    if (!order || !order.startedAt) return 'ignored';
    // Energy since start is kept as it is while the meter start is unknown (a YKC session until
    // its record): the record's meter start shifts those readings onto the register. Once the
    // meter start is known, it is a register reading at once.
    const readings =
      f.basis === 'SINCE_START' && order.meterStartWh !== null ? f.readings.map((r) => ({ ...r, registerWh: order.meterStartWh! + r.registerWh })) : f.readings;
    const verdicts = judgeReadings(readings, {
      startedAt: order.startedAt,
      meterStartWh: order.meterStartWh,
      stoppedAt: order.stoppedAt,
      accepted,
      now: this.clock.now(),
    });
    const good = verdicts.filter((v) => !v.problem).map((v) => v.reading);
    const problems = [...new Set(verdicts.flatMap((v) => (v.problem ? [`METER_${v.problem}`] : [])))];
    if (good.length) await tx.insertReadings(order.id, good);
    if (problems.length) await tx.addFlags(order.id, problems);
    return problems.length ? 'flagged' : 'applied';
  }

  async onSessionStopped(f: SessionStoppedFact): Promise<FactOutcome> {
    return this.once(f, async (tx) => {
      const order = await tx.byTransaction(f.chargerCode, f.transactionId);
      if (!order) {
        await tx.recordAnomaly({
          kind: 'STOP_FOR_UNKNOWN_TRANSACTION',
          chargerCode: f.chargerCode,
          transactionId: f.transactionId,
          detail: { stoppedAt: f.stoppedAt.toISOString(), meterStopWh: f.meterStopWh, reason: f.reason },
        });
        return 'flagged';
      }
      if (!ACTIVE_STATES.includes(order.state)) return 'duplicate'; // a repeated StopTransaction
      const done = await this.complete(tx, order, { stoppedAt: f.stoppedAt, meterStopWh: f.meterStopWh, reason: f.reason, chargerMessage: f.message });
      return done ? 'applied' : 'duplicate';
    });
  }

  /**
   * The charger's own bill (YKC 0x3B): what the session was — its start and end, its meter at
   * start and stop — and what the pile charged for it. The order is closed and priced by the
   * platform from the record's times and meter (and the real-time readings in between); the
   * pile's amounts are kept beside the platform's bill and compared. A record for a serial the
   * platform never issued (a card or offline start it never saw) becomes an order of its own.
   */
  async onChargerRecord(f: ChargerRecordFact): Promise<FactOutcome> {
    const charger = await this.chargers.byCode(f.tenantId, f.chargerCode);
    return this.once(f, async (tx) => {
      await tx.recordChargerRecord({
        chargerCode: f.chargerCode,
        transactionId: f.transactionId,
        startedAt: f.startedAt,
        endedAt: f.endedAt,
        energyWh: f.energyWh,
        amount: f.amount,
        tiers: f.tiers,
      });
      let order = await tx.byTransaction(f.chargerCode, f.transactionId);
      if (!order) {
        await tx.lockConnector(f.chargerCode, f.connectorNo);
        const created = await tx.insertOrder(chargerStartedOrder(f, charger, { userId: null, idTag: null }));
        if (created === 'duplicate') return 'duplicate';
        tx.afterCommit(() => this.metrics.orderCreated(f.tenantId, 'CHARGER'));
        order = created;
      }
      if (order.state === 'PENDING' && f.energyWh === 0) {
        // A pile sends a record after every start command, even one it refused: nothing was charged.
        const failed = await tx.transition(order.id, {
          to: 'FAILED',
          from: ['PENDING'],
          reason: 'START_REJECTED',
          chargerMessage: f.message,
          patch: { failureReason: 'START_REJECTED: the charger recorded the session without energy' },
        });
        if (failed) tx.afterCommit(() => this.startFailed(f.tenantId, 'START_REJECTED'));
        return failed ? 'applied' : 'duplicate';
      }
      if (!ACTIVE_STATES.includes(order.state)) {
        // A start that failed here but charged at the pile: someone has to look at it.
        if (order.state === 'FAILED' && f.energyWh > 0) {
          await tx.addFlags(order.id, ['RECORD_FOR_FAILED_START']);
          return 'flagged';
        }
        return 'applied';
      }
      const chargerBill: ChargerBill = {
        amount: f.amount,
        energyWh: f.energyWh,
        startedAt: f.startedAt.toISOString(),
        endedAt: f.endedAt.toISOString(),
        meterStartWh: f.meterStartWh,
        meterStopWh: f.meterStopWh,
        tiers: f.tiers,
      };
      if (order.meterStartWh === null) await tx.shiftReadings(order.id, f.meterStartWh, f.meterStopWh);
      const done = await this.complete(tx, order, {
        stoppedAt: f.endedAt,
        meterStopWh: f.meterStopWh,
        reason: 'CHARGER_RECORD',
        start: { startedAt: f.startedAt, meterStartWh: f.meterStartWh },
        chargerBill,
        chargerMessage: f.message,
      });
      return done ? 'applied' : 'duplicate';
    });
  }

  // ---- facts from payments ------------------------------------------------------------------

  /**
   * A payment succeeded: recorded whatever the order's state; the order becomes PAID
   * if it was waiting for it. A payment for an order that isn't finished, or of
   * another amount, is flagged (and reconciliation reports it).
   */
  async onPaymentSucceeded(f: PaymentSucceededFact): Promise<FactOutcome> {
    return this.store.inTenant(f.tenantId, async (tx) => {
      if (!(await tx.markProcessed(f.eventId))) return 'duplicate';
      const order = await tx.recordPayment(f.orderId, f.paidAt, f.amount);
      if (!order) return 'ignored';
      const flags: string[] = [];
      if (order.amount !== null && !moneyEquals(order.amount, f.amount)) flags.push('PAID_AMOUNT_DIFFERS');
      const paid = await tx.transition(order.id, { to: 'PAID', from: ['COMPLETED', 'TO_PAY'], reason: 'PAYMENT_SUCCEEDED' });
      if (!paid && !['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(order.state)) flags.push('PAID_BUT_NOT_COMPLETED');
      if (flags.length) await tx.addFlags(order.id, flags);
      return flags.length ? 'flagged' : paid ? 'applied' : 'duplicate';
    });
  }

  async onRefundSucceeded(f: RefundSucceededFact): Promise<FactOutcome> {
    return this.store.inTenant(f.tenantId, async (tx) => {
      if (!(await tx.markProcessed(f.eventId))) return 'duplicate';
      await tx.recordRefunded(f.orderId, f.refundedTotal);
      const to = f.fullyRefunded ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
      const moved = await tx.transition(f.orderId, { to, from: ['PAID', 'PARTIALLY_REFUNDED'], reason: 'REFUND_SUCCEEDED' });
      return moved ? 'applied' : 'ignored';
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Run `fn` once per event id: the id is recorded in the same transaction as the effects. */
  private once(f: FactBase, fn: (tx: OrderTx) => Promise<FactOutcome>): Promise<FactOutcome> {
    return this.store.inTenant(f.tenantId, async (tx) => ((await tx.markProcessed(f.eventId)) ? fn(tx) : 'duplicate'));
  }

  /** Price and close: a conditional transition, so a concurrent stop can't bill twice. */
  private async complete(
    tx: OrderTx,
    asStored: OrderRecord,
    stop: {
      stoppedAt: Date;
      meterStopWh: number | null;
      reason: string | null;
      /** when the session started and where the meter stood then, when known better than the order does */
      start?: { startedAt: Date; meterStartWh: number };
      /** the charger's own bill of the session, kept beside the platform's and compared */
      chargerBill?: ChargerBill;
      /** the charger message that ended it (none: an operator's force-close) */
      chargerMessage?: ChargerMessage;
    },
  ): Promise<OrderRecord | null> {
    // The charger's record says when the session started and where its meter stood: it wins over
    // what was seen on the way (the time its start confirmation arrived, no meter at all).
    const order = stop.start ? { ...asStored, startedAt: stop.start.startedAt, meterStartWh: stop.start.meterStartWh } : asStored;
    const startedAt = order.startedAt ?? stop.stoppedAt;
    const flags: string[] = [];
    const stoppedAt = this.plausibleStop(startedAt, stop.stoppedAt, flags);
    const readings = await tx.readings(order.id);
    const meterStopWh = plausibleMeterStop(stop.meterStopWh, readings, order.meterStartWh, flags);
    if (order.meterStartWh === null) flags.push('NO_METER_START');
    const request = pricingRequest(order, readings, startedAt, stoppedAt, meterStopWh);
    const { energyWh } = request;
    // Nothing charged in no time (a charger's record of a start that never charged): nothing to
    // price, and no plan can price an empty interval.
    const nothing = energyWh === 0 && stoppedAt.getTime() <= startedAt.getTime();
    const bill = nothing ? null : await this.priceOrFlag(request, flags);
    if (this.pileBillDiffers(bill, stop.chargerBill)) flags.push('PILE_AMOUNT_MISMATCH');
    const from: OrderState[] = statesLeadingTo('COMPLETED').filter((s) => ACTIVE_STATES.includes(s));
    const done = await tx.transition(order.id, {
      to: 'COMPLETED',
      from,
      reason: stop.reason ?? 'STOPPED',
      chargerMessage: stop.chargerMessage,
      patch: {
        stoppedAt,
        meterStopWh,
        energyWh,
        amount: amountOf(bill, nothing, order.currency),
        bill,
        stopReason: stop.reason,
        ...startPatch(asStored, stop, startedAt),
      },
    });
    if (done && flags.length) await tx.addFlags(order.id, flags);
    if (done) tx.afterCommit(() => this.reportCompleted(order.tenantId, flags));
    if (done && bill && bill.total.minor > 0) return (await this.announcePayable(tx, order, bill, energyWh)) ?? done;
    return done;
  }

  /** A start the charger refused or never confirmed: the order failed, and the start counts as refused. */
  private startFailed(tenantId: string, reason: 'START_REJECTED' | 'START_TIMEOUT'): void {
    this.metrics.orderFailed(tenantId, reason);
    this.metrics.startRefused(tenantId, reason);
  }

  private reportCompleted(tenantId: string, flags: readonly string[]): void {
    this.metrics.orderCompleted(tenantId);
    if (flags.includes('PILE_AMOUNT_MISMATCH')) this.metrics.repricingMismatch(tenantId, 'charger_bill');
  }

  /** The stop time, moved (and flagged) when it is before the start or in the future. */
  private plausibleStop(startedAt: Date, given: Date, flags: string[]): Date {
    let stoppedAt = given;
    if (stoppedAt.getTime() < startedAt.getTime()) {
      flags.push('STOP_BEFORE_START');
      stoppedAt = startedAt;
    }
    if (stoppedAt.getTime() > this.clock.now().getTime() + 5 * 60_000) {
      flags.push('STOP_IN_FUTURE');
      stoppedAt = this.clock.now();
    }
    return stoppedAt;
  }

  private async priceOrFlag(request: Parameters<Pricer['price']>[0], flags: string[]): Promise<Bill | null> {
    try {
      return await this.pricer.price(request);
    } catch (e) {
      // Pricing down: retried with the event. Pricing impossible (no plan, unknown charger): the
      // session still closes, unbilled and flagged for review, rather than blocking its partition.
      // (Errors that say nothing about retrying are bugs: retried too, and loud in the logs.)
      if ((e as { retriable?: boolean }).retriable !== false) throw e;
      flags.push('PRICING_FAILED');
      return null;
    }
  }

  // The pile billed with the model it holds: another total means it holds another model than the platform's plan.
  private pileBillDiffers(bill: Bill | null, chargerBill: ChargerBill | undefined): boolean {
    if (!bill || !chargerBill) return false;
    const diff = toX1e4(bill.totalExact) - toX1e4(chargerBill.amount);
    return (diff < 0n ? -diff : diff) > BigInt(this.settings.pileAmountToleranceX1e4);
  }

  /** Something to pay: announce it (outbox, same transaction) and wait for the payment. */
  private async announcePayable(tx: OrderTx, order: OrderRecord, bill: Bill, energyWh: number): Promise<OrderRecord | null> {
    const payable = await tx.transition(order.id, { to: 'TO_PAY', from: ['COMPLETED'], reason: 'PAYABLE' });
    await tx.enqueueOrderEvent(order.id, {
      id: randomUUID(),
      version: 1,
      type: 'order.completed',
      tenantId: order.tenantId,
      orderId: order.id,
      occurredAt: this.clock.now().toISOString(),
      data: {
        amount: bill.total.minor,
        currency: bill.total.currency,
        ...(order.stationId ? { stationId: order.stationId } : {}),
        ...(order.chargerId ? { chargerId: order.chargerId } : {}),
        ...(order.userId ? { userId: order.userId } : {}),
        energyWh,
        description: payableDescription(order),
      },
    });
    return payable;
  }
}

/** The stop meter reading, raised (and flagged when it went backwards) to the last reading seen. */
function plausibleMeterStop(given: number | null, readings: readonly MeterReading[], meterStartWh: number | null, flags: string[]): number {
  const lastReading = readings.at(-1)?.registerWh ?? meterStartWh ?? 0;
  if (given !== null && given >= lastReading) return given;
  if (given !== null) flags.push('METER_STOP_BACKWARDS');
  return lastReading;
}

/** What the completion changes about the start, and the charger's own bill when it sent one. */
function startPatch(
  asStored: OrderRecord,
  stop: { start?: { startedAt: Date; meterStartWh: number }; chargerBill?: ChargerBill },
  startedAt: Date,
): { startedAt?: Date; meterStartWh?: number; chargerBill?: ChargerBill } {
  return {
    ...(asStored.startedAt && !stop.start ? {} : { startedAt }),
    ...(stop.start ? { meterStartWh: stop.start.meterStartWh } : {}),
    ...(stop.chargerBill ? { chargerBill: stop.chargerBill } : {}),
  };
}

/** The billed total; a session that charged nothing costs zero rather than nothing known. */
function amountOf(bill: Bill | null, nothing: boolean, currency: OrderRecord['currency']): Money | null {
  return bill?.total ?? (nothing ? zeroMoney(currency) : null);
}

/** A session the charger started on its own (card, plug-and-charge, or a record with no start seen): charging from its first reading. */
function chargerStartedOrder(
  f: {
    chargerCode: string;
    connectorNo: number;
    transactionId: NewOrder['transactionId'];
    startedAt: Date;
    meterStartWh: NewOrder['meterStartWh'];
    message?: ChargerMessage;
  },
  charger: ChargerInfo | null,
  who: { userId: string | null; idTag: string | null },
): NewOrder {
  return {
    stationId: charger?.stationId ?? null,
    chargerId: charger?.chargerId ?? null,
    chargerCode: f.chargerCode,
    connectorNo: f.connectorNo,
    ...who,
    origin: 'CHARGER',
    transactionId: f.transactionId,
    state: 'CHARGING',
    startedAt: f.startedAt,
    meterStartWh: f.meterStartWh,
    idempotencyKey: null,
    requestHash: null,
    chargerMessage: f.message ?? null,
  };
}
