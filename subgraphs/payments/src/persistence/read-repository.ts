import { Knex, keysetPage, keysetQuery, keysetRows, type KeysetOrder, type KeysetWindow, ReadScope, withTenant, withTenantScope } from '@evcs/platform';
import type { ChannelName } from '../domain/channel';
import type { PaymentRecord, RefundRecord, StatementRunRecord } from '../domain/ports';
import type { DiscrepancyFilter, DiscrepancyRecord, DiscrepancyTotals, PaymentFilter, RefundFilter } from '../domain/read-model';
import { PaymentModel, RefundModel } from './models';
import { toPayment, toRefund, toRun } from './payment-store';

type Row = Record<string, any>;

/** Microseconds, as a cursor needs them (see listPayments). */
const createdAtKey = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at_key`;

const RUNS_NEWEST_FIRST: KeysetOrder<{ date: string; id: string }> = {
  columns: ['statement_runs.statement_date', 'statement_runs.id'],
  types: ['date', 'uuid'],
  order: 'desc',
  values: (k) => [k.date, k.id],
};

export type { DiscrepancyFilter, DiscrepancyRecord, DiscrepancyTotals, PaymentFilter, RefundFilter };

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const toDiscrepancy = (r: Row): DiscrepancyRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  runId: r.run_id,
  channel: r.channel,
  statementDate: r.statement_date_text,
  kind: r.kind,
  outTradeNo: r.out_trade_no,
  outRefundNo: r.out_refund_no || null,
  paymentId: r.payment_id,
  refundId: r.refund_id,
  localAmount: num(r.local_amount_fen),
  channelAmount: num(r.channel_amount_fen),
  localState: r.local_state,
  channelState: r.channel_state,
  detectedAt: r.detected_at,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  resolutionNote: r.resolution_note,
});

/** Reads for GraphQL, within the caller's read scope (explicit filters, RLS underneath). */
export class PaymentsReadRepository {
  constructor(private readonly knex: Knex) {}

  /** The payments a scope may read, as columns of `table` (the payments table, or its alias in a join). */
  private scoped<Q extends { whereIn(c: string, v: readonly string[]): Q; where(c: string, v: string): Q }>(q: Q, scope: ReadScope, table = 'payments'): Q {
    const c = (n: string) => `${table}.${n}`;
    q = q.whereIn(c('tenant_id'), scope.tenantIds);
    // SELF: the payments the user made; ASSIGNED_STATIONS: payments of orders at their stations
    if (scope.selfSubject !== null) return q.where(c('created_by'), scope.selfSubject);
    if (scope.stationIds !== null) return q.whereIn(c('station_id'), scope.stationIds);
    return q;
  }

  paymentsByIds(scope: ReadScope, ids: readonly string[]): Promise<PaymentRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => (await this.scoped(PaymentModel.query(trx).whereIn('id', ids), scope)).map(toPayment));
  }

  /**
   * Newest first by (created_at, id), a keyset page: up to size + 1, in list order, each with its
   * position — created_at to the microsecond (a Date keeps milliseconds: a cursor made from one
   * would repeat or skip rows of the same millisecond).
   */
  listPayments(
    scope: ReadScope,
    f: PaymentFilter,
    page: KeysetWindow<{ t: string; id: string }>,
  ): Promise<{ payment: PaymentRecord; key: { t: string; id: string } }[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const q = this.scoped(PaymentModel.query(trx), scope).select(
        'payments.*',
        trx.raw(`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at_key`),
      );
      if (f.state) q.where('state', f.state);
      if (f.channel) q.where('channel', f.channel);
      if (f.orderId) q.where('order_id', f.orderId);
      // objection's builder takes the same calls as knex's (it wraps one)
      keysetQuery(q as unknown as Knex.QueryBuilder, page, {
        columns: ['created_at', 'id'],
        types: ['timestamptz', 'uuid'],
        order: 'desc',
        values: (k) => [k.t, k.id],
      });
      return keysetRows(await q, page).map((p) => ({
        payment: toPayment(p),
        key: { t: (p as unknown as { createdAtKey: string }).createdAtKey, id: p.id },
      }));
    });
  }

  /**
   * The refunds of payments the scope may read, newest first by (created_at, id): a keyset page
   * like listPayments'. Each comes with its payment's currency (refunds have none of their own).
   */
  listRefunds(
    scope: ReadScope,
    f: RefundFilter,
    page: KeysetWindow<{ t: string; id: string }>,
  ): Promise<{ refund: RefundRecord; currency: string; key: { t: string; id: string } }[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      // refunds.tenant_id as well as the payment's: the index on (tenant_id, created_at, id) serves the order
      const q = RefundModel.query(trx)
        .joinRelated('payment')
        .whereIn('refunds.tenant_id', scope.tenantIds)
        .select('refunds.*', 'payment.currency as payment_currency', trx.raw(createdAtKey('refunds.created_at')));
      this.scoped(q, scope, 'payment');
      if (f.states?.length) q.whereIn('refunds.state', f.states);
      if (f.channel) q.where('payment.channel', f.channel);
      if (f.orderId) q.where('payment.order_id', f.orderId);
      if (f.paymentId) q.where('refunds.payment_id', f.paymentId);
      if (f.from) q.where('refunds.created_at', '>=', f.from);
      if (f.to) q.where('refunds.created_at', '<', f.to);
      keysetQuery(q as unknown as Knex.QueryBuilder, page, {
        columns: ['refunds.created_at', 'refunds.id'],
        types: ['timestamptz', 'uuid'],
        order: 'desc',
        values: (k) => [k.t, k.id],
      });
      return keysetRows(await q, page).map((r) => {
        const extra = r as unknown as { paymentCurrency: string; createdAtKey: string };
        return { refund: toRefund(r), currency: extra.paymentCurrency, key: { t: extra.createdAtKey, id: r.id } };
      });
    });
  }

  refundsOfPayments(scope: ReadScope, paymentIds: readonly string[]): Promise<RefundRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      // Refunds of payments the scope may read: the payment relation joined, and scoped.
      const q = RefundModel.query(trx).joinRelated('payment').whereIn('refunds.payment_id', paymentIds).select('refunds.*');
      return (await this.scoped(q, scope, 'payment').orderBy('refunds.created_at')).map(toRefund);
    });
  }

  /** Newest statement day first by (statement_date, id), a keyset page: up to size + 1, in list order. */
  pageStatementRuns(scope: ReadScope, channel: ChannelName | null, page: KeysetWindow<{ date: string; id: string }>): Promise<StatementRunRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const q = trx('statement_runs')
        .whereIn('tenant_id', scope.tenantIds)
        .select('*', trx.raw("to_char(statement_date, 'YYYY-MM-DD') as statement_date_text"));
      if (channel) q.where('channel', channel);
      return (await keysetPage<Row, { date: string; id: string }>(q, page, RUNS_NEWEST_FIRST)).map(toRun);
    });
  }

  statementRuns(scope: ReadScope, channel: ChannelName | null, first: number): Promise<StatementRunRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const q = trx('statement_runs')
        .whereIn('tenant_id', scope.tenantIds)
        .select('*', trx.raw("to_char(statement_date, 'YYYY-MM-DD') as statement_date_text"));
      if (channel) q.where('channel', channel);
      return (
        await q
          .orderBy([
            { column: 'statement_date', order: 'desc' },
            { column: 'channel', order: 'asc' },
          ])
          .limit(first)
      ).map(toRun);
    });
  }

  private discrepancyQuery(trx: Knex.Transaction, scope: ReadScope, f: DiscrepancyFilter) {
    const q = trx('statement_discrepancies').whereIn('tenant_id', scope.tenantIds);
    if (f.channel) q.where('channel', f.channel);
    if (f.date) q.where('statement_date', f.date);
    if (f.kind) q.where('kind', f.kind);
    if (f.resolved === true) q.whereNotNull('resolved_at');
    if (f.resolved === false) q.whereNull('resolved_at');
    return q;
  }

  discrepancies(scope: ReadScope, f: DiscrepancyFilter, page: KeysetWindow<{ id: string }>): Promise<{ rows: DiscrepancyRecord[]; totals: DiscrepancyTotals }> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const q = this.discrepancyQuery(trx, scope, f).select('*', trx.raw("to_char(statement_date, 'YYYY-MM-DD') as statement_date_text"));
      const rows = (await keysetPage<Row, { id: string }>(q, page, { columns: ['id'], types: ['uuid'], order: 'asc', values: (k) => [k.id] })).map(
        toDiscrepancy,
      );
      const [t] = await this.discrepancyQuery(trx, scope, f).select(
        trx.raw('count(*)::int as count'),
        trx.raw('(count(*) filter (where resolved_at is null))::int as unresolved'),
        trx.raw("(count(*) filter (where kind = 'MISSING_LOCALLY'))::int as missing_locally"),
        trx.raw("(count(*) filter (where kind = 'MISSING_AT_CHANNEL'))::int as missing_at_channel"),
        trx.raw("(count(*) filter (where kind = 'AMOUNT_MISMATCH'))::int as amount_mismatch"),
        trx.raw("(count(*) filter (where kind = 'STATUS_MISMATCH'))::int as status_mismatch"),
      );
      return {
        rows,
        totals: {
          count: t.count,
          unresolved: t.unresolved,
          missingLocally: t.missing_locally,
          missingAtChannel: t.missing_at_channel,
          amountMismatch: t.amount_mismatch,
          statusMismatch: t.status_mismatch,
        },
      };
    });
  }

  /** Resolve with a note; only the tenant's own discrepancies, and only once. */
  resolveDiscrepancy(tenantId: string, id: string, by: string, note: string): Promise<{ row: DiscrepancyRecord | null; alreadyResolved: boolean }> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const [u] = await trx('statement_discrepancies')
        .where({ tenant_id: tenantId, id })
        .whereNull('resolved_at')
        .update({ resolved_at: trx.fn.now(), resolved_by: by, resolution_note: note })
        .returning('id');
      const r = await trx('statement_discrepancies')
        .where({ tenant_id: tenantId, id })
        .select('*', trx.raw("to_char(statement_date, 'YYYY-MM-DD') as statement_date_text"))
        .first();
      return { row: r ? toDiscrepancy(r) : null, alreadyResolved: !u && !!r };
    });
  }
}
