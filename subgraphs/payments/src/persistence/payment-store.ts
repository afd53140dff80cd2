import { Knex, OutboxWriter, withTenant } from '@evcs/platform';
import { PaymentEvent, PaymentEvents } from '@evcs/events';
import type { ChannelName, ClientParams } from '../domain/channel';
import type {
  Discrepancy,
  LocalStatementView,
  NewPayment,
  PayableOrder,
  PaymentRecord,
  PaymentStore,
  RefundRecord,
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

type Row = Record<string, any>;

export const toPayment = (r: Row): PaymentRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  orderId: r.order_id,
  stationId: r.station_id,
  idempotencyKey: r.idempotency_key,
  channel: r.channel,
  method: r.method,
  outTradeNo: r.out_trade_no,
  amount: Number(r.amount_fen),
  refunded: Number(r.refunded_fen),
  currency: r.currency,
  state: r.state,
  channelTradeNo: r.channel_trade_no,
  clientParams: r.client_params,
  flags: r.flags ?? [],
  failureReason: r.failure_reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  paidAt: r.paid_at,
  closedAt: r.closed_at,
});

export const toRefund = (r: Row): RefundRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  paymentId: r.payment_id,
  idempotencyKey: r.idempotency_key,
  outRefundNo: r.out_refund_no,
  amount: Number(r.amount_fen),
  reason: r.reason,
  state: r.state,
  channelRefundNo: r.channel_refund_no,
  failureReason: r.failure_reason,
  createdAt: r.created_at,
  succeededAt: r.succeeded_at,
});

const toRun = (r: Row): StatementRunRecord => ({
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

const iso = (d: Date) => d.toISOString();

/** Events go out through the outbox, in the caller's transaction: an event exists exactly when the change commits. */
const outboxWriter = new OutboxWriter('payments');
const outbox = (trx: Knex.Transaction, event: PaymentEvent): Promise<string> => outboxWriter.enqueue(trx, PaymentEvents, event);

class Rollback extends Error {
  constructor(readonly outcome: ReserveRefundOutcome) {
    super('rollback');
  }
}

/** The payment lifecycle in Postgres: the only place with SQL. Tenant first; RLS underneath. */
export class PgPaymentStore implements PaymentStore {
  constructor(private readonly knex: Knex) {}

  async recordPayableOrder(o: PayableOrder & { eventId: string; completedAt: Date }): Promise<'INSERTED' | 'DUPLICATE'> {
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
      const ins = await trx('payments')
        .insert({
          id: p.id,
          tenant_id: tenantId,
          order_id: p.orderId,
          station_id: p.stationId,
          idempotency_key: p.idempotencyKey,
          channel: p.channel,
          method: p.method,
          out_trade_no: p.outTradeNo,
          amount_fen: p.amount,
          currency: p.currency,
          created_by: p.createdBy,
        })
        .onConflict(['tenant_id', 'idempotency_key'])
        .ignore()
        .returning('*');
      if (ins.length) return { payment: toPayment(ins[0]), created: true };
      const existing = await trx('payments').where({ tenant_id: tenantId, idempotency_key: p.idempotencyKey }).first();
      return { payment: toPayment(existing), created: false };
    });
  }

  async markPaying(tenantId: string, id: string, params: ClientParams): Promise<PaymentRecord> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const [u] = await trx('payments')
        .where({ tenant_id: tenantId, id })
        .whereIn('state', ['PENDING'])
        .update({ state: 'PAYING', client_params: JSON.stringify(params), failure_reason: null, updated_at: trx.fn.now() })
        .returning('*');
      return toPayment(u ?? (await trx('payments').where({ tenant_id: tenantId, id }).first()));
    });
  }

  async markCreateFailed(tenantId: string, id: string, reason: string, close = false): Promise<PaymentRecord> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const [u] = await trx('payments')
        .where({ tenant_id: tenantId, id, state: 'PENDING' })
        .update({ failure_reason: reason, updated_at: trx.fn.now(), ...(close ? { state: 'CLOSED', closed_at: trx.fn.now() } : {}) })
        .returning('*');
      return toPayment(u ?? (await trx('payments').where({ tenant_id: tenantId, id }).first()));
    });
  }

  async payment(tenantId: string, id: string): Promise<PaymentRecord | null> {
    const r = await withTenant(this.knex, tenantId, (trx) => trx('payments').where({ tenant_id: tenantId, id }).first());
    return r ? toPayment(r) : null;
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

  async applyTradeResult(tenantId: string, r: TradeResult): Promise<TradeApplyOutcome> {
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
      const outcome = await this.applyTrade(trx, tenantId, r);
      if (notificationId !== null) await trx('notifications').where({ id: notificationId }).update({ outcome });
      return outcome;
    });
  }

  private async applyTrade(trx: Knex.Transaction, tenantId: string, r: TradeResult): Promise<TradeApplyOutcome> {
    const row = await trx('payments').where({ tenant_id: tenantId, out_trade_no: r.outTradeNo }).forUpdate().first();
    if (!row) return 'UNKNOWN_TRADE';
    const p = toPayment(row);
    const now = new Date();
    const otherSucceeded =
      r.state === 'SUCCEEDED' &&
      !!(await trx('payments').where({ tenant_id: tenantId, order_id: p.orderId, state: 'SUCCEEDED' }).whereNot({ id: p.id }).first());
    const decision = decideTrade(p, r, { otherSucceeded, now });
    switch (decision.kind) {
      case 'FLAG':
        await trx.raw('update payments set flags = array_append(flags, ?::text), updated_at = now() where id = ? and not (?::text = any(flags))', [
          decision.flag,
          p.id,
          decision.flag,
        ]);
        return decision.outcome;
      case 'SUCCEED': {
        const [u] = await trx('payments')
          .where({ tenant_id: tenantId, id: p.id })
          .whereIn('state', PAYMENT_ENTERED_FROM.SUCCEEDED)
          .update({ state: 'SUCCEEDED', paid_at: decision.paidAt, channel_trade_no: r.channelTradeNo, updated_at: trx.fn.now() })
          .returning('*');
        if (!u) return 'NO_CHANGE';
        await trx('payable_orders').where({ tenant_id: tenantId, order_id: p.orderId, status: 'PAYABLE' }).update({ status: 'PAID' });
        await outbox(trx, paymentSucceeded(p, r, toPayment(u).paidAt ?? decision.paidAt, now));
        return 'APPLIED';
      }
      case 'END': {
        const [u] = await trx('payments')
          .where({ tenant_id: tenantId, id: p.id })
          .whereIn('state', PAYMENT_ENTERED_FROM[decision.state])
          .update({ state: decision.state, closed_at: trx.fn.now(), updated_at: trx.fn.now() })
          .returning('id');
        if (!u) return 'NO_CHANGE';
        await outbox(trx, paymentFailed(p, decision.state, now));
        return 'APPLIED';
      }
      case 'NONE':
        return 'NO_CHANGE';
    }
  }

  async reserveRefund(
    tenantId: string,
    r: { id: string; paymentId: string; amount: number; reason: string; idempotencyKey: string; outRefundNo: string; createdBy: string },
  ): Promise<ReserveRefundOutcome> {
    try {
      return await withTenant(this.knex, tenantId, async (trx) => {
        // lock the payment: refunds of one payment are serialised
        const prow = await trx('payments').where({ tenant_id: tenantId, id: r.paymentId }).forUpdate().first();
        if (!prow) return { kind: 'NOT_FOUND' as const };
        const existing = await trx('refunds').where({ tenant_id: tenantId, idempotency_key: r.idempotencyKey }).first();
        if (existing) {
          if (existing.payment_id !== r.paymentId || Number(existing.amount_fen) !== r.amount) return { kind: 'KEY_REUSED' as const };
          return { kind: 'EXISTING' as const, refund: toRefund(existing), payment: toPayment(prow) };
        }
        // reserve the amount with a conditional update; the check constraint is the backstop
        const [u] = await trx('payments')
          .where({ tenant_id: tenantId, id: r.paymentId, state: 'SUCCEEDED' })
          .whereRaw('refunded_fen + ? <= amount_fen', [r.amount])
          .update({ refunded_fen: trx.raw('refunded_fen + ?', [r.amount]), updated_at: trx.fn.now() })
          .returning('*');
        if (!u) return { kind: prow.state === 'SUCCEEDED' ? ('EXCEEDS' as const) : ('NOT_REFUNDABLE' as const) };
        const ins = await trx('refunds')
          .insert({
            id: r.id,
            tenant_id: tenantId,
            payment_id: r.paymentId,
            idempotency_key: r.idempotencyKey,
            out_refund_no: r.outRefundNo,
            amount_fen: r.amount,
            reason: r.reason,
            created_by: r.createdBy,
          })
          .onConflict(['tenant_id', 'idempotency_key'])
          .ignore()
          .returning('*');
        if (!ins.length) throw new Rollback({ kind: 'KEY_REUSED' });
        return { kind: 'CREATED' as const, refund: toRefund(ins[0]), payment: toPayment(u) };
      });
    } catch (e) {
      if (e instanceof Rollback) return e.outcome;
      throw e;
    }
  }

  async applyRefundResult(tenantId: string, r: RefundResult): Promise<'APPLIED' | 'DUPLICATE' | 'NO_CHANGE' | 'UNKNOWN_REFUND'> {
    return withTenant(this.knex, tenantId, async (trx) => {
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
      }
      const row = await trx('refunds').where({ tenant_id: tenantId, out_refund_no: r.outRefundNo }).forUpdate().first();
      if (!row) return 'UNKNOWN_REFUND';
      const ref = toRefund(row);
      const p = toPayment(await trx('payments').where({ tenant_id: tenantId, id: ref.paymentId }).forUpdate().first());
      const now = new Date();
      const decision = decideRefund(ref, r);
      if (decision.kind === 'NONE') return 'NO_CHANGE';
      if (decision.kind === 'SUCCEED') {
        const [u] = await trx('refunds')
          .where({ tenant_id: tenantId, id: ref.id })
          .whereIn('state', REFUND_ENTERED_FROM.SUCCEEDED)
          .update({ state: 'SUCCEEDED', succeeded_at: trx.fn.now(), channel_refund_no: r.channelRefundNo, updated_at: trx.fn.now() })
          .returning('id');
        if (!u) return 'NO_CHANGE';
        const [{ total }] = await trx('refunds')
          .where({ tenant_id: tenantId, payment_id: ref.paymentId, state: 'SUCCEEDED' })
          .sum<{ total: string }[]>('amount_fen as total');
        const refundedTotal = Number(total);
        await trx('payable_orders')
          .where({ tenant_id: tenantId, order_id: p.orderId })
          .update({ status: payableStatusAfterRefunds(refundedTotal, p.amount) });
        await outbox(trx, refundSucceeded(p, ref, refundedTotal, now));
        return 'APPLIED';
      }
      const [u] = await trx('refunds')
        .where({ tenant_id: tenantId, id: ref.id })
        .whereIn('state', REFUND_ENTERED_FROM.FAILED)
        .update({ state: 'FAILED', failure_reason: decision.reason, updated_at: trx.fn.now() })
        .returning('id');
      if (!u) return 'NO_CHANGE';
      // release the reservation
      await trx('payments')
        .where({ tenant_id: tenantId, id: ref.paymentId })
        .update({ refunded_fen: trx.raw('refunded_fen - ?', [ref.amount]), updated_at: trx.fn.now() });
      await outbox(trx, refundFailed(p, ref, r.failureReason ?? null, now));
      return 'APPLIED';
    });
  }

  private refundQuery(trx: Knex.Transaction, tenantId: string) {
    return trx('refunds as r')
      .join('payments as p', 'p.id', 'r.payment_id')
      .where('r.tenant_id', tenantId)
      .select('r.*', 'p.out_trade_no', 'p.amount_fen as payment_amount_fen', 'p.channel');
  }

  async refundByNo(tenantId: string, outRefundNo: string) {
    const r = await withTenant(this.knex, tenantId, (trx) => this.refundQuery(trx, tenantId).where('r.out_refund_no', outRefundNo).first());
    return r ? { ...toRefund(r), outTradeNo: r.out_trade_no as string, paymentAmount: Number(r.payment_amount_fen), channel: r.channel as ChannelName } : null;
  }

  async refund(tenantId: string, id: string) {
    const r = await withTenant(this.knex, tenantId, (trx) => this.refundQuery(trx, tenantId).where('r.id', id).first());
    return r ? { ...toRefund(r), outTradeNo: r.out_trade_no as string, paymentAmount: Number(r.payment_amount_fen), channel: r.channel as ChannelName } : null;
  }

  async recordRejectedNotification(channel: ChannelName, reason: string): Promise<void> {
    await this.knex('notification_rejections').insert({ channel, reason: reason.slice(0, 500) });
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
      const payments = await trx('payments')
        .where({ tenant_id: tenantId, channel })
        .andWhereRaw('((paid_at >= ? and paid_at < ?) or out_trade_no = any(?::text[]))', [from, to, outTradeNos])
        .select('*');
      const ids = payments.map((p: Row) => p.id as string);
      const refunds = ids.length ? await this.refundQuery(trx, tenantId).whereIn('r.payment_id', ids) : [];
      return { payments: payments.map(toPayment), refunds: refunds.map((r: Row) => ({ ...toRefund(r), outTradeNo: r.out_trade_no as string })) };
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
  ): Promise<StatementRunRecord> {
    return withTenant(this.knex, tenantId, async (trx) => {
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
      return toRun(
        await trx('statement_runs').where({ id: run.id }).select('*', trx.raw("to_char(statement_date, 'YYYY-MM-DD') as statement_date_text")).first(),
      );
    });
  }
}
