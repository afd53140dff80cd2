import { type AuditActor, type BusinessMetrics, ErrorCodes, isAppError, isUuid, NO_BUSINESS_METRICS, serviceAuditActor } from '@evcs/platform';
import type { PaymentEvent } from '@evcs/events';
import { randomUUID } from 'node:crypto';
import {
  CHANNEL_OF,
  ChannelName,
  ChannelRefund,
  ChannelRejectedError,
  ChannelUnavailableError,
  ClientParams,
  InboundHttp,
  NotificationRejectedError,
  PaymentChannel,
  PaymentMethod,
} from './channel';
import { UserErrorCodes as E } from './error-codes';
import { CHANNEL_CURRENCY } from './money';
import { fail, ok, type Outcome } from '@evcs/platform';
import type { OrderFactsSink, OrderLookup, PayableOrder, PaymentRecord, PaymentStore, RefundRecord, StatementRunRecord } from './ports';
import { reconcile } from './reconcile';
import { shanghaiDate, shanghaiDayRange } from './time';

export interface Actor {
  tenantId: string;
  subject: string;
  /** who, for the audit trail (with the request id and client address) */
  audit: AuditActor;
}

/** Minimal logging port (pino fits). */
export interface Log {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface PaymentServiceDeps {
  store: PaymentStore;
  channels: Partial<Record<ChannelName, PaymentChannel>>;
  /** where each channel sends its notifications (public endpoints of this service) */
  notifyUrls: Record<ChannelName, string>;
  log: Log;
  now?: () => Date;
  /**
   * The tenant that holds the channels' merchant accounts (the platform operator).
   * Statement lines of trades no tenant knows are reconciled in its runs only; unset,
   * they appear in the run of whichever tenant reconciles (single-tenant setups).
   */
  merchantTenantId?: string | null;
  /** Where payments, refunds and statement discrepancies are counted (default: nowhere). */
  metrics?: BusinessMetrics;
  /**
   * Orders itself, asked for an order `order.completed` has not brought yet: a client that
   * sees TO_PAY can pay at once. Unset, only the event makes an order payable.
   */
  orders?: OrderLookup;
  /**
   * Orders, handed each payment and refund success as it commits, so the order reads PAID or
   * REFUNDED when the client hears of it. Unset, only the event moves the order.
   */
  orderFacts?: OrderFactsSink;
}

/** What a channel takes and payable_orders holds: positive fen within GraphQL Int. */
const payableAmount = (fen: number | null): fen is number => fen !== null && Number.isSafeInteger(fen) && fen > 0 && fen <= 2147483647;

const KEY = /^[\x21-\x7e]{8,128}$/;

/** Trade numbers: the payment id's 32 hex digits; tenant-independent, within both channels' limits. */
export const outTradeNoOf = (paymentId: string) => paymentId.replace(/-/g, '');
export const outRefundNoOf = (refundId: string) => `R${refundId.replace(/-/g, '')}`;

export interface NotificationAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * The payment lifecycle: PENDING → PAYING → SUCCEEDED | FAILED | CLOSED, refunds
 * (PROCESSING → SUCCEEDED | FAILED), notifications, settlement by active query,
 * and statement reconciliation. Channel errors are reported, never papered over.
 */
function createInputError(input: { orderId: string; method: PaymentMethod; idempotencyKey: string; openId?: string | null }): Outcome<never> | null {
  if (!isUuid(input.orderId)) return fail(E.INVALID_INPUT, 'orderId', 'orderId must be a UUID');
  if (!KEY.test(input.idempotencyKey)) return fail(E.INVALID_INPUT, 'idempotencyKey', 'idempotencyKey must be 8–128 printable characters');
  if (input.method === 'WECHAT_JSAPI' && !input.openId) return fail(E.INVALID_INPUT, 'openId', 'WECHAT_JSAPI needs the payer openId');
  return null;
}

function refundInputError(input: { paymentId: string; amount: number; reason: string; idempotencyKey: string }): Outcome<never> | null {
  if (!isUuid(input.paymentId)) return fail(E.INVALID_INPUT, 'paymentId', 'paymentId must be a UUID');
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0)
    return fail(E.INVALID_INPUT, 'amountMinor', 'amountMinor must be a positive integer number of fen');
  if (!input.reason.trim() || input.reason.length > 80) return fail(E.INVALID_INPUT, 'reason', 'reason must be 1–80 characters');
  if (!KEY.test(input.idempotencyKey)) return fail(E.INVALID_INPUT, 'idempotencyKey', 'idempotencyKey must be 8–128 printable characters');
  return null;
}

/** A refund the store would not reserve, as the user error it is. */
const RESERVE_REFUND_ERRORS: Record<'NOT_FOUND' | 'NOT_REFUNDABLE' | 'EXCEEDS' | 'KEY_REUSED', [code: string, field: string, message: string]> = {
  NOT_FOUND: [E.NOT_FOUND, 'paymentId', 'no such payment'],
  NOT_REFUNDABLE: [E.NOT_REFUNDABLE, 'paymentId', 'only a succeeded payment can be refunded'],
  EXCEEDS: [E.REFUND_EXCEEDS_PAID, 'amountMinor', 'refunds would exceed the paid amount'],
  KEY_REUSED: [E.IDEMPOTENCY_KEY_REUSED, 'idempotencyKey', 'this idempotency key was used for another refund'],
};

export class PaymentService {
  /** counts since start: rejected (forged, tampered, stale, unknown) notifications per channel */
  readonly rejectedNotifications: Record<ChannelName, number> = { ALIPAY: 0, WECHATPAY: 0 };
  private readonly now: () => Date;
  private readonly metrics: BusinessMetrics;

  constructor(private readonly d: PaymentServiceDeps) {
    this.now = d.now ?? (() => new Date());
    this.metrics = d.metrics ?? NO_BUSINESS_METRICS;
  }

  private channel(name: ChannelName): PaymentChannel | undefined {
    return this.d.channels[name];
  }

  async createPayment(
    actor: Actor,
    input: { orderId: string; method: PaymentMethod; idempotencyKey: string; openId?: string | null },
  ): Promise<Outcome<{ payment: PaymentRecord; clientParams: ClientParams | null }>> {
    const invalid = createInputError(input);
    if (invalid) return invalid;
    const channelName = CHANNEL_OF[input.method];
    const channel = this.channel(channelName);
    if (!channel) return fail(E.CHANNEL_UNAVAILABLE, 'channel', `${channelName} is not configured`);
    const found = await this.payableOrder(actor.tenantId, input.orderId);
    if (!found.ok) return found;
    const order = found.value;
    const id = randomUUID();
    const { payment, created } = await this.d.store.insertPayment(actor.tenantId, {
      id,
      orderId: order.orderId,
      stationId: order.stationId,
      idempotencyKey: input.idempotencyKey,
      channel: channelName,
      method: input.method,
      outTradeNo: outTradeNoOf(id),
      amount: order.amount,
      currency: order.currency,
      createdBy: actor.subject,
    });
    if (!created && (payment.orderId !== input.orderId || payment.method !== input.method)) {
      return fail(E.IDEMPOTENCY_KEY_REUSED, 'idempotencyKey', 'this idempotency key was used for another payment');
    }
    if (payment.state !== 'PENDING') return ok({ payment, clientParams: payment.clientParams });
    if (created && order.status !== 'PAYABLE') {
      await this.d.store.markCreateFailed(actor.tenantId, payment.id, 'order already paid', true);
      return fail(E.ORDER_ALREADY_PAID, 'orderId', 'the order is already paid');
    }
    this.metrics.paymentAttempted(actor.tenantId, channelName);
    try {
      const params = await channel.createTrade({
        outTradeNo: payment.outTradeNo,
        method: payment.method,
        amount: payment.amount,
        description: order.description || `EV charging ${order.orderId.slice(0, 8)}`,
        notifyUrl: this.d.notifyUrls[channelName],
        openId: input.openId ?? undefined,
      });
      const paying = await this.d.store.markPaying(actor.tenantId, payment.id, params);
      return ok({ payment: paying, clientParams: paying.clientParams });
    } catch (e) {
      return this.createTradeFailed(actor.tenantId, payment.id, channelName, e);
    }
  }

  /**
   * The payable order as payments knows it — from `order.completed`, or, when the client pays
   * before that event arrived (read-your-writes: it saw TO_PAY at orders), from orders itself,
   * recorded here so the event finds it and changes nothing.
   */
  private async payableOrder(tenantId: string, orderId: string): Promise<Outcome<PayableOrder>> {
    const known = await this.d.store.payableOrder(tenantId, orderId);
    if (known) return ok(known);
    const notPayable = fail<PayableOrder>(E.ORDER_NOT_PAYABLE, 'orderId', 'no completed order with this id');
    if (!this.d.orders) return notPayable;
    let at;
    try {
      at = await this.d.orders.orderForPayment(tenantId, orderId);
    } catch (e) {
      if (!isAppError(e) || e.code !== ErrorCodes.DEPENDENCY_UNAVAILABLE) throw e;
      this.d.log.warn({ orderId, err: e.message }, 'orders could not be asked for an order not heard of yet');
      return fail(E.ORDERS_UNAVAILABLE, 'orderId', 'the order could not be looked up at orders; retry with the same idempotency key');
    }
    if (!at || at.state !== 'TO_PAY' || !payableAmount(at.amount)) return notPayable;
    await this.d.store.recordPayableOrder({
      tenantId,
      orderId,
      stationId: at.stationId,
      userId: at.userId,
      amount: at.amount,
      currency: at.currency,
      description: at.description,
      status: 'PAYABLE',
      source: 'ORDERS',
      eventId: null,
      completedAt: at.stoppedAt ?? this.now(),
    });
    // the event may have landed in between: the row recorded first is the one
    const recorded = await this.d.store.payableOrder(tenantId, orderId);
    return recorded ? ok(recorded) : notPayable;
  }

  /** A channel that refused or could not be reached: the payment fails and says why; anything else is thrown. */
  private async createTradeFailed<T>(tenantId: string, paymentId: string, channelName: ChannelName, e: unknown): Promise<Outcome<T>> {
    if (e instanceof ChannelRejectedError || e instanceof ChannelUnavailableError) this.metrics.paymentFailed(tenantId, channelName);
    if (e instanceof ChannelRejectedError) {
      await this.d.store.markCreateFailed(tenantId, paymentId, e.message);
      return fail(E.CHANNEL_REJECTED, 'method', `${channelName} refused the payment: ${e.message}`);
    }
    if (e instanceof ChannelUnavailableError) {
      this.d.log.warn({ paymentId, channel: channelName, err: e.message }, 'channel unavailable creating a trade');
      await this.d.store.markCreateFailed(tenantId, paymentId, e.message);
      return fail(E.CHANNEL_UNAVAILABLE, null, `${channelName} is unavailable; retry with the same idempotency key`);
    }
    throw e;
  }

  async refundPayment(
    actor: Actor,
    input: { paymentId: string; amount: number; reason: string; idempotencyKey: string },
  ): Promise<Outcome<{ refund: RefundRecord; payment: PaymentRecord }>> {
    const invalid = refundInputError(input);
    if (invalid) return invalid;
    const id = randomUUID();
    const res = await this.d.store.reserveRefund(actor.tenantId, {
      id,
      paymentId: input.paymentId,
      amount: input.amount,
      reason: input.reason.trim(),
      idempotencyKey: input.idempotencyKey,
      outRefundNo: outRefundNoOf(id),
      createdBy: actor.subject,
      audit: actor.audit,
    });
    if (res.kind !== 'CREATED' && res.kind !== 'EXISTING') {
      const [code, field, message] = RESERVE_REFUND_ERRORS[res.kind];
      return fail(code, field, message);
    }
    const { refund, payment } = res;
    if (refund.state !== 'PROCESSING') return ok({ refund, payment });
    const rejected = await this.submitRefund(actor.tenantId, refund, payment);
    const now = await this.d.store.refund(actor.tenantId, refund.id);
    const p = await this.d.store.payment(actor.tenantId, payment.id);
    if (rejected) return fail(E.CHANNEL_REJECTED, 'amountMinor', `${payment.channel} refused the refund: ${rejected}`);
    return ok({ refund: now ?? refund, payment: p ?? payment });
  }

  /** Hands a reserved refund to its channel; the channel's refusal, if it refused. */
  private async submitRefund(tenantId: string, refund: RefundRecord, payment: PaymentRecord): Promise<string | null> {
    const channel = this.channel(payment.channel);
    if (!channel) return null;
    try {
      await this.applyChannelRefund(
        tenantId,
        payment.channel,
        await channel.refund({
          outTradeNo: payment.outTradeNo,
          outRefundNo: refund.outRefundNo,
          amount: refund.amount,
          total: payment.amount,
          reason: refund.reason,
          notifyUrl: this.d.notifyUrls[payment.channel],
        }),
      );
      return null;
    } catch (e) {
      if (e instanceof ChannelRejectedError) {
        const applied = await this.applyRefundResult(tenantId, {
          outRefundNo: refund.outRefundNo,
          state: 'FAILED',
          channelRefundNo: null,
          failureReason: e.message,
        });
        this.refundApplied(tenantId, payment.channel, 'FAILED', applied);
        return e.message;
      }
      if (e instanceof ChannelUnavailableError) {
        // stays PROCESSING: the settlement loop asks the channel and resubmits (same out_refund_no)
        this.d.log.warn({ refundId: refund.id, err: e.message }, 'channel unavailable for a refund; will settle later');
        return null;
      }
      throw e;
    }
  }

  private async applyChannelRefund(tenantId: string, channel: ChannelName, r: ChannelRefund): Promise<void> {
    if (r.state === 'SUCCEEDED' || r.state === 'FAILED') {
      const applied = await this.applyRefundResult(tenantId, { outRefundNo: r.outRefundNo, state: r.state, channelRefundNo: r.channelRefundNo });
      this.refundApplied(tenantId, channel, r.state, applied);
    }
  }

  /** The store's applyTradeResult, then the success handed to orders. */
  private async applyTradeResult(tenantId: string, r: Parameters<PaymentStore['applyTradeResult']>[1]) {
    const announced: PaymentEvent[] = [];
    const outcome = await this.d.store.applyTradeResult(tenantId, r, announced);
    await this.handToOrders(announced);
    return outcome;
  }

  private async applyRefundResult(tenantId: string, r: Parameters<PaymentStore['applyRefundResult']>[1]) {
    const announced: PaymentEvent[] = [];
    const outcome = await this.d.store.applyRefundResult(tenantId, r, announced);
    await this.handToOrders(announced);
    return outcome;
  }

  /**
   * Read-your-writes across the two services: a success committed here is handed to orders
   * before anyone is told of it (the mutation's answer, the channel's ack), so the order shows
   * PAID or REFUNDED by then. Best effort: the event in the outbox brings the same fact if
   * orders can't be reached now, and orders applies whichever comes first once.
   */
  private async handToOrders(events: readonly PaymentEvent[]): Promise<void> {
    const sink = this.d.orderFacts;
    if (!sink) return;
    for (const e of events) {
      if (e.type !== 'payment.succeeded' && e.type !== 'refund.succeeded') continue;
      try {
        await sink.paymentEvent(e);
      } catch (err) {
        this.d.log.warn(
          { eventId: e.id, type: e.type, orderId: e.orderId, err: (err as Error).message },
          'orders not told of a payment fact; its event will bring it',
        );
      }
    }
  }

  /** Counted once: when the result changed the refund (a repeated notification applies nothing). */
  private refundApplied(tenantId: string, channel: ChannelName, state: 'SUCCEEDED' | 'FAILED', applied: string): void {
    if (applied === 'APPLIED') this.metrics.refundSettled(tenantId, channel, state === 'SUCCEEDED' ? 'succeeded' : 'failed');
  }

  /** A trade result that changed the payment: a success or failure counted once, by channel. */
  private tradeApplied(tenantId: string, channel: ChannelName, state: string, amount: number | null, applied: string): void {
    if (applied !== 'APPLIED') return;
    if (state === 'SUCCEEDED') this.metrics.paymentSucceeded(tenantId, channel, { minor: amount ?? 0, currency: CHANNEL_CURRENCY });
    else if (state === 'FAILED') this.metrics.paymentFailed(tenantId, channel);
  }

  /** An inbound notification: verify, find the tenant from our own trade record, apply exactly once. */
  async handleNotification(channelName: ChannelName, msg: InboundHttp): Promise<NotificationAnswer> {
    const channel = this.channel(channelName);
    if (!channel) return { status: 404, contentType: 'text/plain', body: 'not configured' };
    const reject = async (reason: string): Promise<NotificationAnswer> => {
      this.rejectedNotifications[channelName]++;
      await this.d.store.recordRejectedNotification(channelName, reason);
      this.d.log.warn({ channel: channelName, reason }, 'notification rejected');
      return channelName === 'ALIPAY'
        ? { status: 400, contentType: 'text/plain', body: 'fail' }
        : { status: 401, contentType: 'application/json', body: JSON.stringify({ code: 'FAIL', message: 'verification failed' }) };
    };
    let n;
    try {
      n = await channel.verifyNotification(msg);
    } catch (e) {
      if (e instanceof NotificationRejectedError) return reject(e.reason);
      throw e;
    }
    const ack = channel.ack;
    if (n.kind === 'IGNORED') return ack;
    const tenantId = await this.d.store.tenantOfTrade(n.outTradeNo);
    if (!tenantId) return reject(`unknown trade ${n.outTradeNo}`);
    if (n.kind === 'TRADE') {
      const outcome = await this.applyTradeResult(tenantId, {
        outTradeNo: n.outTradeNo,
        state: n.state,
        amount: n.amount,
        channelTradeNo: n.channelTradeNo,
        paidAt: n.paidAt,
        notification: { channel: channelName, notifyId: n.notifyId },
      });
      if (outcome === 'AMOUNT_MISMATCH')
        this.d.log.error({ channel: channelName, outTradeNo: n.outTradeNo, tenantId }, 'notification amount differs from the payment: flagged, not paid');
      this.tradeApplied(tenantId, channelName, n.state, n.amount, outcome);
      return ack;
    }
    const applied = await this.applyRefundResult(tenantId, {
      outRefundNo: n.outRefundNo,
      state: n.state,
      channelRefundNo: null,
      notification: { channel: channelName, notifyId: n.notifyId, outTradeNo: n.outTradeNo, amount: n.amount },
    });
    if (n.state === 'SUCCEEDED' || n.state === 'FAILED') this.refundApplied(tenantId, channelName, n.state, applied);
    if (applied === 'MISMATCH')
      this.d.log.error(
        { channel: channelName, outTradeNo: n.outTradeNo, outRefundNo: n.outRefundNo, tenantId },
        'refund notification names another trade or amount than its refund: flagged, not applied',
      );
    return ack;
  }

  /**
   * When a notification is lost: ask the channel about payments and refunds still
   * open after `olderThanMs`, and apply its answer like a notification would.
   */
  async settleDue(olderThanMs: number, opts: { limit?: number; expireAfterMs?: number } = {}): Promise<{ checked: number; applied: number; errors: number }> {
    const now = this.now().getTime();
    const due = await this.d.store.dueForSettlement(new Date(now - olderThanMs), opts.limit ?? 100);
    const expired = (p: { createdAt: Date }) => opts.expireAfterMs !== undefined && now - p.createdAt.getTime() >= opts.expireAfterMs;
    let applied = 0;
    let errors = 0;
    for (const item of due) {
      try {
        const done = item.kind === 'PAYMENT' ? await this.settlePayment(item.tenantId, item.id, expired) : await this.settleRefund(item.tenantId, item.id);
        if (done) applied++;
      } catch (e) {
        errors++;
        this.d.log.warn({ item, err: (e as Error).message }, 'settlement query failed');
      }
    }
    return { checked: due.length, applied, errors };
  }

  /** Asks the channel about one open payment and applies its answer; whether that changed the payment. */
  private async settlePayment(tenantId: string, id: string, expired: (p: { createdAt: Date }) => boolean): Promise<boolean> {
    const p = await this.d.store.payment(tenantId, id);
    const channel = p && this.channel(p.channel);
    if (!p || !channel) return false;
    let t = await channel.queryTrade(p.outTradeNo);
    // unpaid past its expiry: close it at the channel (so it can't be paid later), then here
    if ((t.state === 'WAITING' || t.state === 'NOT_FOUND') && expired(p)) {
      await channel.closeTrade(p.outTradeNo);
      t = await channel.queryTrade(p.outTradeNo);
      if (t.state === 'NOT_FOUND' || t.state === 'WAITING') t = { ...t, state: 'CLOSED' };
    }
    const applied = await this.applyTradeResult(tenantId, {
      outTradeNo: p.outTradeNo,
      state: t.state,
      amount: t.amount,
      channelTradeNo: t.channelTradeNo,
      paidAt: t.paidAt,
    });
    this.tradeApplied(tenantId, p.channel, t.state, t.amount ?? p.amount, applied);
    return applied === 'APPLIED';
  }

  /** Asks the channel about one open refund (submitting it again if it never arrived) and applies its answer. */
  private async settleRefund(tenantId: string, id: string): Promise<boolean> {
    const r = await this.d.store.refund(tenantId, id);
    const channel = r && this.channel(r.channel);
    if (!r || !channel) return false;
    let q = await channel.queryRefund(r.outTradeNo, r.outRefundNo);
    // never reached the channel: submit again, idempotent by out_refund_no
    if (q.state === 'NOT_FOUND')
      q = await channel.refund({
        outTradeNo: r.outTradeNo,
        outRefundNo: r.outRefundNo,
        amount: r.amount,
        total: r.paymentAmount,
        reason: r.reason,
        notifyUrl: this.d.notifyUrls[r.channel],
      });
    if (q.state !== 'SUCCEEDED' && q.state !== 'FAILED') return false;
    const applied = await this.applyRefundResult(tenantId, { outRefundNo: r.outRefundNo, state: q.state, channelRefundNo: q.channelRefundNo });
    this.refundApplied(tenantId, r.channel, q.state, applied);
    return applied === 'APPLIED';
  }

  /**
   * The daily job: reconcile yesterday (Asia/Shanghai) for every tenant with activity
   * on each configured channel, plus the merchant tenant (unknown trades are its).
   * A completed run is left alone; a failed one (statements appear mid-morning) is
   * tried again on the next tick. Safe with several instances: a day's run is unique.
   */
  async reconcileYesterday(): Promise<{ date: string; runs: number; failed: number }> {
    const date = shanghaiDate(new Date(this.now().getTime() - 24 * 3600_000));
    const { from, to } = shanghaiDayRange(date);
    const work = new Map<string, { tenantId: string; channel: ChannelName }>();
    for (const a of await this.d.store.tenantsWithActivity(from, to)) work.set(`${a.tenantId}/${a.channel}`, a);
    if (this.d.merchantTenantId)
      for (const channel of Object.keys(this.d.channels) as ChannelName[])
        work.set(`${this.d.merchantTenantId}/${channel}`, { tenantId: this.d.merchantTenantId, channel });
    let runs = 0;
    let failed = 0;
    for (const { tenantId, channel } of work.values()) {
      if (!this.channel(channel) || (await this.d.store.statementRunStatus(tenantId, channel, date)) === 'COMPLETED') continue;
      const out = await this.runStatementReconciliation(
        { tenantId, subject: 'statement-scheduler', audit: serviceAuditActor('statement-scheduler') },
        channel,
        date,
      );
      runs++;
      if (!out.ok) failed++;
    }
    return { date, runs, failed };
  }

  /** Reconcile a channel's statement of one Asia/Shanghai day; re-running a day updates its one run. */
  async runStatementReconciliation(actor: Actor, channelName: ChannelName, date: string): Promise<Outcome<StatementRunRecord>> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00+08:00`)))
      return fail(E.INVALID_INPUT, 'date', 'date must be yyyy-MM-dd');
    if (date > shanghaiDate(this.now())) return fail(E.INVALID_INPUT, 'date', 'no statement exists for a future day');
    const channel = this.channel(channelName);
    if (!channel) return fail(E.CHANNEL_UNAVAILABLE, 'channel', `${channelName} is not configured`);
    let lines;
    try {
      lines = await channel.statement(date);
    } catch (e) {
      if (!(e instanceof ChannelUnavailableError || e instanceof ChannelRejectedError)) throw e;
      await this.d.store.saveStatementRun(actor.tenantId, channelName, date, { error: e.message });
      return fail(E.CHANNEL_UNAVAILABLE, 'channel', `statement download failed: ${e.message}`);
    }
    // lines of other tenants' trades are theirs to reconcile; unknown trades the merchant tenant's
    const owners = await this.d.store.tenantsOfTrades([...new Set(lines.map((l) => l.outTradeNo))]);
    const unknownOwner = this.d.merchantTenantId ?? actor.tenantId;
    const mine = lines.filter((l) => (owners.get(l.outTradeNo) ?? unknownOwner) === actor.tenantId);
    const local = await this.d.store.localStatementView(actor.tenantId, channelName, date, [...new Set(mine.map((l) => l.outTradeNo))]);
    const result = reconcile(date, mine, local);
    const run = await this.d.store.saveStatementRun(actor.tenantId, channelName, date, { lines: mine.length, ...result });
    for (const [kind, n] of countBy(run.newDiscrepancyKinds)) this.metrics.discrepanciesFound(actor.tenantId, 'payments', kind, n);
    return ok(run);
  }
}

function countBy(items: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of items) out.set(i, (out.get(i) ?? 0) + 1);
  return out;
}
