import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { judgeReadings, MeterReading } from './meter';
import { fenToYuan, yuanToFen } from './money';
import { pricingRequest } from './pricing-input';
import type { Bill, ChargerDirectory, OrderRecord, OrdersStore, OrdersTx, Pricer } from './ports';
import { ACTIVE_STATES, IllegalTransitionError, OrderState, statesLeadingTo } from './states';

export interface Clock {
  now(): Date;
}

export interface UserError {
  code: string;
  field: string | null;
  message: string;
}
export type Outcome<T> = { ok: true; value: T } | { ok: false; errors: UserError[] };
const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = <T>(code: string, field: string | null, message: string): Outcome<T> => ({ ok: false, errors: [{ code, field, message }] });

/** Who asks: the verified identity reduced to what the service needs. */
export interface Caller {
  tenantId: string;
  userId: string | null;
}

// ---- facts from chargers (protocol-neutral; mapped from charger events) -------------------------

interface FactBase {
  eventId: string;
  tenantId: string;
  chargerCode: string;
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
  amount: string;
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
  amountFen: number;
  paidAt: Date;
}
export interface RefundSucceededFact {
  eventId: string;
  tenantId: string;
  orderId: string;
  refundedTotalFen: number;
  fullyRefunded: boolean;
}

export type FactOutcome = 'applied' | 'duplicate' | 'flagged' | 'ignored';

export interface SessionSettings {
  /** a remote start the charger hasn't confirmed in this time fails */
  startTimeoutMs: number;
}
export const DEFAULT_SESSION_SETTINGS: SessionSettings = { startTimeoutMs: 90_000 };

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** The orders side's own token for a remote start: OCPP idTag (CiString20), unique per order. */
export const newRemoteIdTag = (): string => `EV${randomBytes(9).toString('hex').toUpperCase()}`;
/** A platform-issued YKC transaction serial: 32 decimal digits. */
export const newYkcSerial = (): string => Array.from({ length: 32 }, () => randomInt(10)).join('');

const requestHash = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/**
 * Charging sessions from plug to bill. Every effect is made exactly once over
 * at-least-once inputs: inbound events are recorded by id in the same
 * transaction as their effects, orders are unique by (charger, transaction id)
 * and by idempotency key, and every state change is a conditional update from
 * the states that may lead to it.
 */
export class SessionService {
  constructor(
    private readonly store: OrdersStore,
    private readonly chargers: ChargerDirectory,
    private readonly pricer: Pricer,
    private readonly clock: Clock,
    private readonly settings: SessionSettings = DEFAULT_SESSION_SETTINGS,
  ) {}

  /** Facts applied inside `fn` for this tenant commit together, all or nothing (OrdersStore.batch). */
  inBatch<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.store.batch(tenantId, fn);
  }

  // ---- API ----------------------------------------------------------------------------------

  async startCharging(caller: Caller, input: { chargerId: string; connectorNo: number; idempotencyKey: string }): Promise<Outcome<OrderRecord>> {
    if (!IDEMPOTENCY_KEY.test(input.idempotencyKey)) return fail('INVALID_INPUT', 'idempotencyKey', 'Idempotency key: 8–128 of letters, digits, ".", "_", ":", "-"');
    if (!Number.isInteger(input.connectorNo) || input.connectorNo < 1 || input.connectorNo > 255) return fail('INVALID_INPUT', 'connectorNo', 'Connector number must be 1–255');
    const hash = requestHash({ chargerId: input.chargerId, connectorNo: input.connectorNo, userId: caller.userId });
    const charger = await this.chargers.byId(caller.tenantId, input.chargerId);
    return this.store.inTenant(caller.tenantId, async (tx) => {
      // Lock first, then look for the key: a concurrent request with the same key has either
      // committed (and is found) or waits behind us. A replay is answered even if the charger
      // has gone since.
      const target = charger && charger.connectorNos.includes(input.connectorNo) ? charger : null;
      const { byKey: replay, active } = target
        ? await tx.lockConnectorAndLook(target.code, input.connectorNo, input.idempotencyKey)
        : { byKey: await tx.byIdempotencyKey(input.idempotencyKey), active: [] };
      if (replay) return this.replayed(replay, hash);
      if (!charger) return fail<OrderRecord>('NOT_FOUND', 'chargerId', 'Unknown charger');
      if (!target) return fail<OrderRecord>('NOT_FOUND', 'connectorNo', `Charger ${charger.code} has no connector ${input.connectorNo}`);
      if (active.length) return fail<OrderRecord>('CONNECTOR_BUSY', 'connectorNo', 'A session is already active on this connector');
      const idTag = newRemoteIdTag();
      const transactionId = charger.protocol === 'YKC' ? newYkcSerial() : null;
      // The order, its first transition and its start command (outbox) in one statement.
      const order = await tx.insertOrder(
        {
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
        },
        { type: 'session.start', chargerCode: charger.code, connectorId: input.connectorNo, idTag, ...(transactionId ? { transactionId } : {}) },
      );
      if (order === 'duplicate') {
        // Same key raced in another transaction: that one won; answer with it.
        const winner = await tx.byIdempotencyKey(input.idempotencyKey);
        return winner ? this.replayed(winner, hash) : fail<OrderRecord>('CONFLICT', null, 'Try again');
      }
      return ok(order);
    });
  }

  private replayed(o: OrderRecord & { requestHash: string | null }, hash: string): Outcome<OrderRecord> {
    return o.requestHash === hash ? ok(o) : fail('IDEMPOTENCY_KEY_REUSED', 'idempotencyKey', 'This idempotency key was used for a different request');
  }

  async stopCharging(caller: Caller, orderId: string): Promise<Outcome<OrderRecord>> {
    return this.store.inTenant(caller.tenantId, async (tx) => {
      const order = await tx.byId(orderId);
      if (!order) return fail<OrderRecord>('NOT_FOUND', 'orderId', 'Unknown order');
      if (order.state === 'FINISHING') return ok(order); // asked already: the same answer
      const moved = await tx.transition(order.id, { to: 'FINISHING', from: ['CHARGING'], reason: 'STOP_REQUESTED' });
      if (!moved) return fail<OrderRecord>('ILLEGAL_TRANSITION', 'orderId', new IllegalTransitionError(order.state, 'FINISHING').message);
      await tx.enqueueCommand({ orderId: order.id, type: 'session.stop', chargerCode: order.chargerCode, connectorId: order.connectorNo, ...(order.transactionId ? { transactionId: order.transactionId } : {}) });
      return ok(moved);
    });
  }

  /**
   * An operator closes a session the charger will never close (it went offline
   * for good). Billed with what is known: the last trusted reading, or nothing.
   */
  async forceClose(caller: Caller, input: { orderId: string; reason: string }): Promise<Outcome<OrderRecord>> {
    const reason = input.reason.trim();
    if (reason.length < 5 || reason.length > 500) return fail('INVALID_INPUT', 'reason', 'Give a reason of 5–500 characters');
    return this.store.inTenant(caller.tenantId, async (tx) => {
      const order = await tx.byId(input.orderId);
      if (!order) return fail<OrderRecord>('NOT_FOUND', 'orderId', 'Unknown order');
      if (!ACTIVE_STATES.includes(order.state)) return fail<OrderRecord>('ILLEGAL_TRANSITION', 'orderId', `The order is ${order.state}, not active`);
      if (order.state === 'PENDING') {
        const failed = await tx.transition(order.id, { to: 'FAILED', from: ['PENDING'], reason: 'FORCE_CLOSED', patch: { failureReason: `FORCE_CLOSED: ${reason}` } });
        return failed ? ok(failed) : fail<OrderRecord>('CONFLICT', 'orderId', 'The order changed meanwhile; look again');
      }
      const readings = await tx.readings(order.id);
      const last = readings.at(-1);
      const done = await this.complete(tx, order, { stoppedAt: last?.at ?? order.startedAt ?? this.clock.now(), meterStopWh: last?.registerWh ?? order.meterStartWh, reason: `FORCE_CLOSED: ${reason}` });
      if (done) await tx.addFlags(order.id, ['FORCE_CLOSED']);
      return done ? ok(done) : fail<OrderRecord>('CONFLICT', 'orderId', 'The order changed meanwhile; look again');
    });
  }

  /** Fail remote starts the charger never confirmed. Run periodically; `stale` finds PENDING orders created before a time. */
  async expirePendingStarts(stale: (before: Date) => Promise<{ id: string; tenantId: string }[]>): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.settings.startTimeoutMs);
    let n = 0;
    for (const { id, tenantId } of await stale(before)) {
      const moved = await this.store.inTenant(tenantId, (tx) =>
        tx.transition(id, { to: 'FAILED', from: ['PENDING'], reason: 'START_TIMEOUT', patch: { failureReason: 'START_TIMEOUT: the charger never confirmed the start' } }),
      );
      if (moved) n++;
    }
    return n;
  }

  // ---- facts from chargers ------------------------------------------------------------------

  async onStartCommandResult(f: StartCommandResultFact): Promise<FactOutcome> {
    if (f.accepted) return 'ignored'; // the session starts when the charger says so (session.started)
    return this.once(f, async (tx) => {
      const orderId = await tx.orderForCommand(f.commandId);
      if (!orderId) return 'ignored'; // not one of ours
      const moved = await tx.transition(orderId, { to: 'FAILED', from: ['PENDING'], reason: 'START_REJECTED', patch: { failureReason: `START_REJECTED: ${f.reason ?? 'the charger refused'}` } });
      return moved ? 'applied' : 'ignored';
    });
  }

  async onSessionStarted(f: SessionStartedFact): Promise<FactOutcome> {
    // Outside the transaction: no locks held while another service answers.
    const charger = await this.chargers.byCode(f.tenantId, f.chargerCode);
    return this.once(f, async (tx) => {
      // A resent StartTransaction carries the same transaction id: one order.
      if (await tx.byTransaction(f.chargerCode, f.transactionId)) return 'duplicate';
      await tx.lockConnector(f.chargerCode, f.connectorNo);
      const pending = await tx.pendingStart(f.chargerCode, f.connectorNo, f.transactionId, f.idTag);
      if (pending) {
        const moved = await tx.transition(pending.id, {
          to: 'CHARGING',
          from: ['PENDING'],
          reason: 'STARTED',
          patch: { transactionId: f.transactionId, startedAt: f.startedAt, meterStartWh: f.meterStartWh },
        });
        if (moved) return 'applied';
      }
      // A local start (card, plug-and-charge). An older session still open on the
      // connector means its stop was lost: it stays open for review, flagged.
      const stale = await tx.activeOnConnector(f.chargerCode, f.connectorNo);
      for (const s of stale) await tx.addFlags(s.id, ['SUPERSEDED_BY_NEW_SESSION']);
      const created = await tx.insertOrder({
        stationId: charger?.stationId ?? null,
        chargerId: charger?.chargerId ?? null,
        chargerCode: f.chargerCode,
        connectorNo: f.connectorNo,
        userId: f.userId ?? null,
        idTag: f.idTag,
        origin: 'CHARGER',
        transactionId: f.transactionId,
        state: 'CHARGING',
        startedAt: f.startedAt,
        meterStartWh: f.meterStartWh,
        idempotencyKey: null,
        requestHash: null,
      });
      if (created === 'duplicate') return 'duplicate';
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

  private async applyReadings(tx: OrdersTx, f: MeterValuesFact, order: OrderRecord | null, accepted: MeterReading[]): Promise<FactOutcome> {
    if (!order || !order.startedAt) return 'ignored';
    const verdicts = judgeReadings(f.readings, {
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
        await tx.recordAnomaly({ kind: 'STOP_FOR_UNKNOWN_TRANSACTION', chargerCode: f.chargerCode, transactionId: f.transactionId, detail: { stoppedAt: f.stoppedAt.toISOString(), meterStopWh: f.meterStopWh, reason: f.reason } });
        return 'flagged';
      }
      if (!ACTIVE_STATES.includes(order.state)) return 'duplicate'; // a repeated StopTransaction
      const done = await this.complete(tx, order, { stoppedAt: f.stoppedAt, meterStopWh: f.meterStopWh, reason: f.reason });
      return done ? 'applied' : 'duplicate';
    });
  }

  /** The charger's own bill (YKC): kept for reconciliation; closes the session if no stop arrived. */
  async onChargerRecord(f: ChargerRecordFact): Promise<FactOutcome> {
    return this.once(f, async (tx) => {
      await tx.recordChargerRecord({ chargerCode: f.chargerCode, transactionId: f.transactionId, startedAt: f.startedAt, endedAt: f.endedAt, energyWh: f.meterStopWh - f.meterStartWh, amount: f.amount });
      const order = await tx.byTransaction(f.chargerCode, f.transactionId);
      if (!order) return 'flagged'; // reconciliation reports it as a charger record without order
      if (!ACTIVE_STATES.includes(order.state)) return 'applied';
      const done = await this.complete(tx, order, { stoppedAt: f.endedAt, meterStopWh: f.meterStopWh, reason: 'CHARGER_RECORD' });
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
      const order = await tx.recordPayment(f.orderId, f.paidAt, fenToYuan(f.amountFen));
      if (!order) return 'ignored';
      const flags: string[] = [];
      if (order.amount !== null && yuanToFen(order.amount) !== f.amountFen) flags.push('PAID_AMOUNT_DIFFERS');
      const paid = await tx.transition(order.id, { to: 'PAID', from: ['COMPLETED', 'TO_PAY'], reason: 'PAYMENT_SUCCEEDED' });
      if (!paid && !['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(order.state)) flags.push('PAID_BUT_NOT_COMPLETED');
      if (flags.length) await tx.addFlags(order.id, flags);
      return flags.length ? 'flagged' : paid ? 'applied' : 'duplicate';
    });
  }

  async onRefundSucceeded(f: RefundSucceededFact): Promise<FactOutcome> {
    return this.store.inTenant(f.tenantId, async (tx) => {
      if (!(await tx.markProcessed(f.eventId))) return 'duplicate';
      await tx.recordRefunded(f.orderId, fenToYuan(f.refundedTotalFen));
      const to = f.fullyRefunded ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
      const moved = await tx.transition(f.orderId, { to, from: ['PAID', 'PARTIALLY_REFUNDED'], reason: 'REFUND_SUCCEEDED' });
      return moved ? 'applied' : 'ignored';
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Run `fn` once per event id: the id is recorded in the same transaction as the effects. */
  private once(f: FactBase, fn: (tx: OrdersTx) => Promise<FactOutcome>): Promise<FactOutcome> {
    return this.store.inTenant(f.tenantId, async (tx) => ((await tx.markProcessed(f.eventId)) ? fn(tx) : 'duplicate'));
  }

  /** Price and close: a conditional transition, so a concurrent stop can't bill twice. */
  private async complete(tx: OrdersTx, order: OrderRecord, stop: { stoppedAt: Date; meterStopWh: number | null; reason: string | null }): Promise<OrderRecord | null> {
    const startedAt = order.startedAt ?? stop.stoppedAt;
    const flags: string[] = [];
    let stoppedAt = stop.stoppedAt;
    if (stoppedAt.getTime() < startedAt.getTime()) {
      flags.push('STOP_BEFORE_START');
      stoppedAt = startedAt;
    }
    if (stoppedAt.getTime() > this.clock.now().getTime() + 5 * 60_000) {
      flags.push('STOP_IN_FUTURE');
      stoppedAt = this.clock.now();
    }
    const readings = await tx.readings(order.id);
    let meterStopWh = stop.meterStopWh;
    const lastReading = readings.at(-1)?.registerWh ?? order.meterStartWh ?? 0;
    if (meterStopWh === null || meterStopWh < lastReading) {
      if (meterStopWh !== null) flags.push('METER_STOP_BACKWARDS');
      meterStopWh = lastReading;
    }
    if (order.meterStartWh === null) flags.push('NO_METER_START');
    const request = pricingRequest(order, readings, startedAt, stoppedAt, meterStopWh);
    const { energyWh } = request;
    let bill: Bill | null = null;
    try {
      bill = await this.pricer.price(request);
    } catch (e) {
      // Pricing down: retried with the event. Pricing impossible (no plan, unknown charger): the
      // session still closes, unbilled and flagged for review, rather than blocking its partition.
      // (Errors that say nothing about retrying are bugs: retried too, and loud in the logs.)
      if ((e as { retriable?: boolean }).retriable !== false) throw e;
      flags.push('PRICING_FAILED');
    }
    const from: OrderState[] = statesLeadingTo('COMPLETED').filter((s) => ACTIVE_STATES.includes(s));
    const done = await tx.transition(order.id, {
      to: 'COMPLETED',
      from,
      reason: stop.reason ?? 'STOPPED',
      patch: { stoppedAt, meterStopWh, energyWh, amount: bill?.total ?? null, bill, stopReason: stop.reason, ...(order.startedAt ? {} : { startedAt }) },
    });
    if (done && flags.length) await tx.addFlags(order.id, flags);
    if (done && bill && yuanToFen(bill.total) > 0) {
      // Something to pay: announce it (outbox, same transaction) and wait for the payment.
      const payable = await tx.transition(order.id, { to: 'TO_PAY', from: ['COMPLETED'], reason: 'PAYABLE' });
      await tx.enqueueOrderEvent(order.id, {
        id: randomUUID(),
        version: 1,
        type: 'order.completed',
        tenantId: order.tenantId,
        orderId: order.id,
        occurredAt: this.clock.now().toISOString(),
        data: {
          amount: yuanToFen(bill.total),
          currency: bill.currency,
          ...(order.stationId ? { stationId: order.stationId } : {}),
          ...(order.chargerId ? { chargerId: order.chargerId } : {}),
          ...(order.userId ? { userId: order.userId } : {}),
          energyWh,
          description: `Charging at ${order.chargerCode} #${order.connectorNo}`,
        },
      });
      return payable ?? done;
    }
    return done;
  }
}
