import { afterCommit, appendAuditEntry, type AuditActor, Knex, OutboxWriter, serviceAuditActor, withTenant } from '@evcs/platform';
import { PaymentEvent, PaymentEvents } from '@evcs/events';
import { raw, type QueryBuilder } from 'objection';
import type { ChannelName, ClientParams } from '../domain/channel';
import { CHANNEL_CURRENCY } from '../domain/money';
import type {
  Discrepancy,
  LocalStatementView,
  NewPayment,
  PayableOrder,
  PayableOrderSource,
  PaymentRecord,
  PaymentStore,
  RefundRecord,
  RefundApplyOutcome,
  RefundResult,
  ReserveRefundOutcome,
  StatementRunRecord,
  TradeApplyOutcome,
  TradeResult,
} from '../domain/ports';
import {
  decideRefund,
  decideTrade,
  PAYMENT_ENTERED_FROM,
  payableStatusAfterRefunds,
  paymentFailed,
  paymentSucceeded,
  REFUND_ENTERED_FROM,
  refundFailed,
  refundSucceeded,
} from '../domain/lifecycle';
import { shanghaiDayRange } from '../domain/time';
import { PaymentModel, RefundModel } from './models';

type Row = Record<string, any>;

export const toPayment = (m: PaymentModel): PaymentRecord => ({
  id: m.id,
  tenantId: m.tenantId,
  orderId: m.orderId,
  stationId: m.stationId,
  idempotencyKey: m.idempotencyKey,
  channel: m.channel,
  method: m.method,
  outTradeNo: m.outTradeNo,
  amount: Number(m.amountFen),
  refunded: Number(m.refundedFen),
  currency: m.currency,
  state: m.state,
  channelTradeNo: m.channelTradeNo,
  clientParams: m.clientParams,
  flags: m.flags ?? [],
  failureReason: m.failureReason,
  createdBy: m.createdBy,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
  paidAt: m.paidAt,
  closedAt: m.closedAt,
});

export const toRefund = (m: RefundModel): RefundRecord => ({
  id: m.id,
  tenantId: m.tenantId,
  paymentId: m.paymentId,
  idempotencyKey: m.idempotencyKey,
  outRefundNo: m.outRefundNo,
  amount: Number(m.amountFen),
  reason: m.reason,
  state: m.state,
  channelRefundNo: m.channelRefundNo,
  failureReason: m.failureReason,
  createdAt: m.createdAt,
  succeededAt: m.succeededAt,
});

/** A refund read with its payment (withGraphJoined): what settling it needs to know of the trade. */
const toRefundOfPayment = (m: RefundModel & { payment: PaymentModel }) => ({
  ...toRefund(m),
  outTradeNo: m.payment.outTradeNo,
  paymentAmount: Number(m.payment.amountFen),
  channel: m.payment.channel,
});

/**
 * INSERT … ON CONFLICT DO NOTHING RETURNING *: the row if it was inserted, null if a unique key
 * said it exists. Run as the knex query the model builds (values formatted by the model):
 * objection itself hands back the input model whether or not a row came back.
 */
async function insertUnlessExists<M extends PaymentModel | RefundModel>(insert: QueryBuilder<M, M>): Promise<M | null> {
  const rows = (await insert.toKnexQuery()) as unknown as object[];
  return rows.length ? (insert.modelClass().fromDatabaseJson(rows[0]) as M) : null;
}

const dbNow = () => raw('now()');

/** The tenant's payments and refunds: every query names the tenant, RLS holds underneath. */
const payments = (trx: Knex.Transaction, tenantId: string) => PaymentModel.query(trx).where('payments.tenant_id', tenantId);
const refunds = (trx: Knex.Transaction, tenantId: string) => RefundModel.query(trx).where('refunds.tenant_id', tenantId);

export const toRun = (r: Row): StatementRunRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  channel: r.channel,
  statementDate: r.statement_date_text,
  status: r.status,
  lines: r.lines,
  matched: r.matched,
  discrepancies: r.discrepancies,
  error: r.error,
  runs: r.runs,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** Events go out through the outbox, in the caller's transaction: an event exists exactly when the change commits. */
const outboxWriter = new OutboxWriter('payments');
const outbox = (trx: Knex.Transaction, event: PaymentEvent, announced?: PaymentEvent[]): Promise<string> => {
  if (announced) afterCommit(trx, () => announced.push(event));
  return outboxWriter.enqueue(trx, PaymentEvents, event);
};

class Rollback extends Error {
  constructor(readonly outcome: ReserveRefundOutcome) {
    super('rollback');
  }
}

/** The payment lifecycle in Postgres: the only place with SQL. Tenant first; RLS underneath. */
/** Reasons kept per channel and hour; past it rejections are only counted. */
export const REJECTION_SAMPLES_PER_HOUR = 20;
const REJECTION_RETENTION_DAYS = 30;

/** Who records what the channels say. */
const SERVICE_NAME = 'payments';

/** A refund's result is the channel's word: audited as the payments service, with how it arrived. */
function auditRefundResult(trx: Knex.Transaction, tenantId: string, p: PaymentRecord, ref: RefundRecord, r: RefundResult, state: 'SUCCEEDED' | 'FAILED') {
  return appendAuditEntry(trx, {
    tenantId,
    actor: serviceAuditActor(SERVICE_NAME),
    action: state === 'SUCCEEDED' ? 'REFUND_SUCCEEDED' : 'REFUND_FAILED',
    target: { type: 'refund', id: ref.id },
    before: { state: ref.state },
    after: { state, amountMinor: ref.amount, currency: CHANNEL_CURRENCY },
    details: {
      paymentId: p.id,
      channel: p.channel,
      via: r.notification ? 'NOTIFICATION' : 'CHANNEL_RESPONSE',
      channelRefundNo: r.channelRefundNo,
      ...(state === 'FAILED' ? { failureReason: r.failureReason ?? null } : {}),
    },
  });
}

export class PgPaymentStore implements PaymentStore {
  constructor(private readonly knex: Knex) {}

  async recordPayableOrder(o: PayableOrder & PayableOrderSource & { completedAt: Date }): Promise<'INSERTED' | 'DUPLICATE'> {
    return withTenant(this.knex, o.tenantId, async (trx) => {
      const rows = await trx('payable_orders')
        .insert({
          tenant_id: o.tenantId,
          order_id: o.orderId,
          station_id: o.stationId,
          user_id: o.userId,
          amount_fen: o.amount,
          currency: o.currency,
          description: o.description,
          source: o.source,
          event_id: o.eventId,
          completed_at: o.completedAt,
        })
        .onConflict(['tenant_id', 'order_id'])
        .ignore()
        .returning('order_id');
      return rows.length ? 'INSERTED' : 'DUPLICATE';
    });
  }

  async payableOrder(tenantId: string, orderId: string): Promise<PayableOrder | null> {
    const r = await withTenant(this.knex, tenantId, (trx) => trx('payable_orders').where({ tenant_id: tenantId, order_id: orderId }).first());
    return r
      ? {
          tenantId: r.tenant_id,
          orderId: r.order_id,
          stationId: r.station_id,
          userId: r.user_id,
          amount: Number(r.amount_fen),
          currency: r.currency,
          description: r.description,
          status: r.status,
        }
      : null;
  }

  async insertPayment(tenantId: string, p: NewPayment): Promise<{ payment: PaymentRecord; created: boolean }> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const inserted = await insertUnlessExists(
        PaymentModel.query(trx)
          .insert({
            id: p.id,
            tenantId,
            orderId: p.orderId,
            stationId: p.stationId,
            idempotencyKey: p.idempotencyKey,
            channel: p.channel,
            method: p.method,
            outTradeNo: p.outTradeNo,
            amountFen: p.amount,
            currency: p.currency,
            createdBy: p.createdBy,
          })
          .onConflict(['tenant_id', 'idempotency_key'])
          .ignore()
          .returning('*'),
      );
      if (inserted) return { payment: toPayment(inserted), created: true };
      const existing = await payments(trx, tenantId).where('idempotency_key', p.idempotencyKey).first();
      return { payment: toPayment(existing!), created: false };
    });
  }

  async markPaying(tenantId: string, id: string, params: ClientParams): Promise<PaymentRecord> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const [u] = await payments(trx, tenantId)
        .where('id', id)
        .whereIn('state', ['PENDING'])
        .patch({ state: 'PAYING', clientParams: params, failureReason: null, updatedAt: dbNow() })
        .returning('*');
      return toPayment(u ?? (await payments(trx, tenantId).findById(id))!);
    });
  }

  async markCreateFailed(tenantId: string, id: string, reason: string, close = false): Promise<PaymentRecord> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const [u] = await payments(trx, tenantId)
        .where({ id, state: 'PENDING' })
        .patch({ failureReason: reason, updatedAt: dbNow(), ...(close ? { state: 'CLOSED' as const, closedAt: dbNow() } : {}) })
        .returning('*');
      return toPayment(u ?? (await payments(trx, tenantId).findById(id))!);
    });
  }

  async payment(tenantId: string, id: string): Promise<PaymentRecord | null> {
    const p = await withTenant(this.knex, tenantId, async (trx) => payments(trx, tenantId).findById(id));
    return p ? toPayment(p) : null;
  }

  async tenantOfTrade(outTradeNo: string): Promise<string | null> {
    const r = await this.knex.raw<{ rows: { t: string | null }[] }>('select payments.tenant_of_trade(?) as t', [outTradeNo]);
    return r.rows[0]?.t ?? null;
  }

  async tenantsOfTrades(outTradeNos: string[]): Promise<Map<string, string>> {
    if (outTradeNos.length === 0) return new Map();
    const r = await this.knex.raw<{ rows: { out_trade_no: string; tenant_id: string }[] }>('select * from payments.tenants_of_trades(?::text[])', [
      outTradeNos,
    ]);
    return new Map(r.rows.map((x) => [x.out_trade_no, x.tenant_id]));
  }

  async applyTradeResult(tenantId: string, r: TradeResult, announced?: PaymentEvent[]): Promise<TradeApplyOutcome> {
    return withTenant(this.knex, tenantId, async (trx) => {
      let notificationId: number | null = null;
      if (r.notification) {
        const ins = await trx('notifications')
          .insert({
            tenant_id: tenantId,
            channel: r.notification.channel,
            notify_id: r.notification.notifyId,
            out_trade_no: r.outTradeNo,
            kind: 'TRADE',
            outcome: 'RECEIVED',
          })
          .onConflict(['channel', 'notify_id'])
          .ignore()
          .returning('id');
        if (ins.length === 0) return 'DUPLICATE';
        notificationId = ins[0].id as number;
      }
      const outcome = await this.applyTrade(trx, tenantId, r, announced);
      if (notificationId !== null) await trx('notifications').where({ id: notificationId }).update({ outcome });
      return outcome;
    });
  }

  private async applyTrade(trx: Knex.Transaction, tenantId: string, r: TradeResult, announced?: PaymentEvent[]): Promise<TradeApplyOutcome> {
    const row = await payments(trx, tenantId).where('out_trade_no', r.outTradeNo).forUpdate().first();
    if (!row) return 'UNKNOWN_TRADE';
    const p = toPayment(row);
    const now = new Date();
    const otherSucceeded =
      r.state === 'SUCCEEDED' && !!(await payments(trx, tenantId).where({ order_id: p.orderId, state: 'SUCCEEDED' }).whereNot('id', p.id).select('id').first());
    const decision = decideTrade(p, r, { otherSucceeded, now });
    switch (decision.kind) {
      case 'FLAG':
        // Each flag once: appended only if the payment doesn't carry it yet.
        await payments(trx, tenantId)
          .where('id', p.id)
          .whereRaw('not (?::text = any(flags))', [decision.flag])
          .patch({ flags: raw('array_append(flags, ?::text)', [decision.flag]), updatedAt: dbNow() });
        return decision.outcome;
      case 'SUCCEED': {
        // Conditional on the state: of two concurrent results, the second changes nothing.
        const [u] = await payments(trx, tenantId)
          .where('id', p.id)
          .whereIn('state', PAYMENT_ENTERED_FROM.SUCCEEDED)
          .patch({ state: 'SUCCEEDED', paidAt: decision.paidAt, channelTradeNo: r.channelTradeNo, updatedAt: dbNow() })
          .returning('*');
        if (!u) return 'NO_CHANGE';
        await trx('payable_orders').where({ tenant_id: tenantId, order_id: p.orderId, status: 'PAYABLE' }).update({ status: 'PAID' });
        await outbox(trx, paymentSucceeded(p, r, toPayment(u).paidAt ?? decision.paidAt, now), announced);
        return 'APPLIED';
      }
      case 'END': {
        const [u] = await payments(trx, tenantId)
          .where('id', p.id)
          .whereIn('state', PAYMENT_ENTERED_FROM[decision.state])
          .patch({ state: decision.state, closedAt: dbNow(), updatedAt: dbNow() })
          .returning('id');
        if (!u) return 'NO_CHANGE';
        await outbox(trx, paymentFailed(p, decision.state, now), announced);
        return 'APPLIED';
      }
      case 'NONE':
        return 'NO_CHANGE';
    }
  }

  async reserveRefund(
    tenantId: string,
    r: { id: string; paymentId: string; amount: number; reason: string; idempotencyKey: string; outRefundNo: string; createdBy: string; audit: AuditActor },
  ): Promise<ReserveRefundOutcome> {
    try {
      return await withTenant(this.knex, tenantId, async (trx) => {
        // lock the payment: refunds of one payment are serialised
        const prow = await payments(trx, tenantId).findById(r.paymentId).forUpdate();
        if (!prow) return { kind: 'NOT_FOUND' as const };
        const existing = await refunds(trx, tenantId).where('idempotency_key', r.idempotencyKey).first();
        if (existing) {
          if (existing.paymentId !== r.paymentId || Number(existing.amountFen) !== r.amount) return { kind: 'KEY_REUSED' as const };
          return { kind: 'EXISTING' as const, refund: toRefund(existing), payment: toPayment(prow) };
        }
        // reserve the amount with a conditional update; the check constraint is the backstop
        const [u] = await payments(trx, tenantId)
          .where({ id: r.paymentId, state: 'SUCCEEDED' })
          .whereRaw('refunded_fen + ? <= amount_fen', [r.amount])
          .patch({ refundedFen: raw('refunded_fen + ?', [r.amount]), updatedAt: dbNow() })
          .returning('*');
        if (!u) return { kind: prow.state === 'SUCCEEDED' ? ('EXCEEDS' as const) : ('NOT_REFUNDABLE' as const) };
        const inserted = await insertUnlessExists(
          RefundModel.query(trx)
            .insert({
              id: r.id,
              tenantId,
              paymentId: r.paymentId,
              idempotencyKey: r.idempotencyKey,
              outRefundNo: r.outRefundNo,
              amountFen: r.amount,
              reason: r.reason,
              createdBy: r.createdBy,
            })
            .onConflict(['tenant_id', 'idempotency_key'])
            .ignore()
            .returning('*'),
        );
        if (!inserted) throw new Rollback({ kind: 'KEY_REUSED' });
        await appendAuditEntry(trx, {
          tenantId,
          actor: r.audit,
          action: 'REFUND_REQUESTED',
          target: { type: 'refund', id: r.id },
          after: { paymentId: r.paymentId, orderId: prow.orderId, amountMinor: r.amount, currency: CHANNEL_CURRENCY, state: inserted.state },
          details: { reason: r.reason, idempotencyKey: r.idempotencyKey, outRefundNo: r.outRefundNo },
        });
        return { kind: 'CREATED' as const, refund: toRefund(inserted), payment: toPayment(u) };
      });
    } catch (e) {
      if (e instanceof Rollback) return e.outcome;
      throw e;
    }
  }

  async applyRefundResult(tenantId: string, r: RefundResult, announced?: PaymentEvent[]): Promise<RefundApplyOutcome> {
    return withTenant(this.knex, tenantId, async (trx) => {
      let notificationId: number | null = null;
      if (r.notification) {
        const ins = await trx('notifications')
          .insert({
            tenant_id: tenantId,
            channel: r.notification.channel,
            notify_id: r.notification.notifyId,
            out_trade_no: r.notification.outTradeNo,
            kind: 'REFUND',
            outcome: 'RECEIVED',
          })
          .onConflict(['channel', 'notify_id'])
          .ignore()
          .returning('id');
        if (ins.length === 0) return 'DUPLICATE';
        notificationId = ins[0].id as number;
      }
      // The refund, then its payment, each locked (the order reserveRefund can't deadlock with: it inserts new refunds only).
      const row = await refunds(trx, tenantId).where('out_refund_no', r.outRefundNo).forUpdate().first();
      if (!row) return 'UNKNOWN_REFUND';
      const ref = toRefund(row);
      const p = toPayment((await payments(trx, tenantId).findById(ref.paymentId).forUpdate())!);
      const now = new Date();
      const decision = decideRefund(ref, r, p);
      if (decision.kind === 'MISMATCH') {
        await trx('notifications').where({ id: notificationId }).update({ outcome: 'MISMATCH' });
        return 'MISMATCH';
      }
      if (decision.kind === 'NONE') return 'NO_CHANGE';
      if (decision.kind === 'SUCCEED') {
        const [u] = await refunds(trx, tenantId)
          .where('id', ref.id)
          .whereIn('state', REFUND_ENTERED_FROM.SUCCEEDED)
          .patch({ state: 'SUCCEEDED', succeededAt: dbNow(), channelRefundNo: r.channelRefundNo, updatedAt: dbNow() })
          .returning('id');
        if (!u) return 'NO_CHANGE';
        const succeeded = await PaymentModel.relatedQuery('refunds', trx)
          .for(ref.paymentId)
          .where({ tenant_id: tenantId, state: 'SUCCEEDED' })
          .sum('amount_fen as total')
          .castTo<{ total: string | null }[]>();
        const refundedTotal = Number(succeeded[0]?.total ?? 0);
        await trx('payable_orders')
          .where({ tenant_id: tenantId, order_id: p.orderId })
          .update({ status: payableStatusAfterRefunds(refundedTotal, p.amount) });
        await outbox(trx, refundSucceeded(p, ref, refundedTotal, now), announced);
        await auditRefundResult(trx, tenantId, p, ref, r, 'SUCCEEDED');
        return 'APPLIED';
      }
      const [u] = await refunds(trx, tenantId)
        .where('id', ref.id)
        .whereIn('state', REFUND_ENTERED_FROM.FAILED)
        .patch({ state: 'FAILED', failureReason: decision.reason, updatedAt: dbNow() })
        .returning('id');
      if (!u) return 'NO_CHANGE';
      // release the reservation
      await payments(trx, tenantId)
        .where('id', ref.paymentId)
        .patch({ refundedFen: raw('refunded_fen - ?', [ref.amount]), updatedAt: dbNow() });
      await outbox(trx, refundFailed(p, ref, r.failureReason ?? null, now), announced);
      await auditRefundResult(trx, tenantId, p, ref, r, 'FAILED');
      return 'APPLIED';
    });
  }

  /**
   * One refund with its payment, in one query (a joined graph; objection reads the two tables'
   * columns from information_schema once per process to build it).
   */
  private async refundWithPayment(tenantId: string, where: Record<string, string>) {
    const r = await withTenant(this.knex, tenantId, async (trx) =>
      refunds(trx, tenantId).where(where).withGraphJoined('payment').first().castTo<(RefundModel & { payment: PaymentModel }) | undefined>(),
    );
    return r ? toRefundOfPayment(r) : null;
  }

  refundByNo(tenantId: string, outRefundNo: string) {
    return this.refundWithPayment(tenantId, { 'refunds.out_refund_no': outRefundNo });
  }

  refund(tenantId: string, id: string) {
    return this.refundWithPayment(tenantId, { 'refunds.id': id });
  }

  /**
   * Count a rejected notification (per channel and hour) and keep its reason only as one of the
   * hour's first REJECTION_SAMPLES_PER_HOUR: a flood of forgeries costs a counter update each.
   */
  async recordRejectedNotification(channel: ChannelName, reason: string): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const { rows } = await trx.raw<{ rows: { rejected: string }[] }>(
        `insert into payments.notification_rejection_counts as c (channel, hour, rejected) values (?, date_trunc('hour', now()), 1)
           on conflict (channel, hour) do update set rejected = c.rejected + 1
         returning rejected`,
        [channel],
      );
      const n = Number(rows[0].rejected);
      if (n <= REJECTION_SAMPLES_PER_HOUR) await trx('notification_rejections').insert({ channel, reason: reason.slice(0, 500) });
      // once an hour per channel: what is older than the retention goes
      if (n === 1) {
        await trx.raw(`delete from payments.notification_rejections where received_at < now() - interval '${REJECTION_RETENTION_DAYS} days'`);
        await trx.raw(`delete from payments.notification_rejection_counts where hour < now() - interval '${REJECTION_RETENTION_DAYS} days'`);
      }
    });
  }

  async dueForSettlement(before: Date, limit: number) {
    const r = await this.knex.raw<{ rows: { tenant_id: string; kind: 'PAYMENT' | 'REFUND'; id: string }[] }>(
      'select * from payments.due_for_settlement(?, ?)',
      [before, limit],
    );
    return r.rows.map((x) => ({ tenantId: x.tenant_id, kind: x.kind, id: x.id }));
  }

  async localStatementView(tenantId: string, channel: ChannelName, date: string, outTradeNos: string[]): Promise<LocalStatementView> {
    const { from, to } = shanghaiDayRange(date);
    return withTenant(this.knex, tenantId, async (trx) => {
      // The payments with their refunds, as a graph: the refunds' query names the payments found.
      const found = await payments(trx, tenantId)
        .where('channel', channel)
        .andWhereRaw('((paid_at >= ? and paid_at < ?) or out_trade_no = any(?::text[]))', [from, to, outTradeNos])
        .withGraphFetched('refunds')
        .modifyGraph('refunds', (q) => void q.where('tenant_id', tenantId));
      return {
        payments: found.map(toPayment),
        refunds: found.flatMap((p) => (p.refunds ?? []).map((r) => ({ ...toRefund(r), outTradeNo: p.outTradeNo }))),
      };
    });
  }

  async tenantsWithActivity(from: Date, to: Date): Promise<{ tenantId: string; channel: ChannelName }[]> {
    const r = await this.knex.raw<{ rows: { tenant_id: string; channel: ChannelName }[] }>('select * from payments.tenants_with_activity_between(?, ?)', [
      from,
      to,
    ]);
    return r.rows.map((x) => ({ tenantId: x.tenant_id, channel: x.channel }));
  }

  async statementRunStatus(tenantId: string, channel: ChannelName, date: string): Promise<StatementRunRecord['status'] | null> {
    const r = await withTenant(this.knex, tenantId, (trx) =>
      trx('statement_runs').where({ tenant_id: tenantId, channel, statement_date: date }).first('status'),
    );
    return (r?.status as StatementRunRecord['status'] | undefined) ?? null;
  }

  async saveStatementRun(
    tenantId: string,
    channel: ChannelName,
    date: string,
    result: { lines: number; matched: number; discrepancies: Discrepancy[] } | { error: string },
  ): Promise<StatementRunRecord & { newDiscrepancyKinds: Discrepancy['kind'][] }> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const newDiscrepancyKinds: Discrepancy['kind'][] = [];
      const failed = 'error' in result;
      const runStart = await trx.raw<{ rows: { now: Date }[] }>('select now()');
      const values = {
        tenant_id: tenantId,
        channel,
        statement_date: date,
        status: failed ? 'FAILED' : 'COMPLETED',
        lines: failed ? 0 : result.lines,
        matched: failed ? 0 : result.matched,
        discrepancies: failed ? 0 : result.discrepancies.length,
        error: failed ? result.error.slice(0, 1000) : null,
        finished_at: trx.fn.now(),
      };
      const [run] = await trx('statement_runs')
        .insert(values)
        .onConflict(['tenant_id', 'channel', 'statement_date'])
        .merge({ ...values, runs: trx.raw('statement_runs.runs + 1'), started_at: trx.fn.now() })
        .returning('id');
      if (!failed) {
        for (const d of result.discrepancies) {
          const row = {
            tenant_id: tenantId,
            run_id: run.id,
            channel,
            statement_date: date,
            kind: d.kind,
            out_trade_no: d.outTradeNo,
            out_refund_no: d.outRefundNo ?? '',
            payment_id: d.paymentId,
            refund_id: d.refundId,
            local_amount_fen: d.localAmount,
            channel_amount_fen: d.channelAmount,
            local_state: d.localState,
            channel_state: d.channelState,
          };
          // found by an earlier run of the same day: known, not new
          const known = await trx('statement_discrepancies')
            .where({ tenant_id: tenantId, run_id: run.id, kind: row.kind, out_trade_no: row.out_trade_no, out_refund_no: row.out_refund_no })
            .first('id');
          if (!known) newDiscrepancyKinds.push(d.kind);
          await trx('statement_discrepancies').insert(row).onConflict(['run_id', 'kind', 'out_trade_no', 'out_refund_no']).merge({
            local_amount_fen: row.local_amount_fen,
            channel_amount_fen: row.channel_amount_fen,
            local_state: row.local_state,
            channel_state: row.channel_state,
            payment_id: row.payment_id,
            refund_id: row.refund_id,
            last_seen_at: trx.fn.now(),
          });
        }
        // what an earlier run found and this one no longer does is settled by the re-run
        await trx('statement_discrepancies')
          .where({ tenant_id: tenantId, run_id: run.id })
          .whereNull('resolved_at')
          .where('last_seen_at', '<', runStart.rows[0].now)
          .update({ resolved_at: trx.fn.now(), resolved_by: 'reconciliation', resolution_note: 'no longer found when the statement was reconciled again' });
      }
      const saved = toRun(
        await trx('statement_runs').where({ id: run.id }).select('*', trx.raw("to_char(statement_date, 'YYYY-MM-DD') as statement_date_text")).first(),
      );
      return { ...saved, newDiscrepancyKinds };
    });
  }
}
