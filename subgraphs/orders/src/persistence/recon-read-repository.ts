import { Knex, keysetPage, type KeysetWindow, ReadScope, withTenantScope } from '@evcs/platform';
import type { RunRecord } from '../domain/ports';
import { type RunRow, runSelect, toRun } from './recon-store';

export interface DiscrepancyRecord {
  id: string;
  tenantId: string;
  runId: string;
  businessDate: string;
  kind: string;
  orderId: string | null;
  chargerCode: string | null;
  transactionId: string | null;
  expected: string | null;
  actual: string | null;
  detail: Record<string, unknown>;
  state: 'OPEN' | 'RESOLVED';
  note: string | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  createdAt: Date;
}

export interface DiscrepancyFilter {
  date?: string;
  runId?: string;
  kinds?: readonly string[];
  states?: readonly string[];
}

const toDiscrepancy = (r: any): DiscrepancyRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  runId: r.run_id,
  businessDate: r.business_date,
  kind: r.kind,
  orderId: r.order_id,
  chargerCode: r.charger_code,
  transactionId: r.transaction_id,
  expected: r.expected,
  actual: r.actual,
  detail: r.detail,
  state: r.state,
  note: r.note,
  resolvedBy: r.resolved_by,
  resolvedAt: r.resolved_at,
  createdAt: r.created_at,
});

const D_COLUMNS = (trx: Knex.Transaction) => [
  'id',
  'tenant_id',
  'run_id',
  'kind',
  'order_id',
  'charger_code',
  'transaction_id',
  'expected',
  'actual',
  'detail',
  'state',
  'note',
  'resolved_by',
  'resolved_at',
  'created_at',
  trx.raw("to_char(business_date, 'YYYY-MM-DD') as business_date"),
];

/** Runs and discrepancies for GraphQL, within a read scope. */
export class ReconReadRepository {
  constructor(private readonly knex: Knex) {}

  private read<T>(scope: ReadScope, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return withTenantScope(this.knex, { tenantId: scope.tenantId, tenantIds: scope.tenantIds }, fn);
  }

  async runs(scope: ReadScope, opts: { date?: string; limit: number }): Promise<RunRecord[]> {
    const rows = await this.read(scope, (trx) => {
      const q = runSelect(trx)
        .whereIn('tenant_id', scope.tenantIds)
        .orderBy([{ column: 'business_date', order: 'desc' }, { column: 'tenant_id' }])
        .limit(opts.limit);
      if (opts.date) q.where('business_date', opts.date);
      return q;
    });
    return rows.map(toRun);
  }

  /** A keyset page of runs, newest business day first by (business_date, id): up to size + 1, in list order. */
  async pageRuns(scope: ReadScope, opts: { date?: string }, page: KeysetWindow<{ date: string; id: string }>): Promise<RunRecord[]> {
    const rows = await this.read(scope, (trx) => {
      const q = runSelect(trx).whereIn('tenant_id', scope.tenantIds);
      if (opts.date) q.where('business_date', opts.date);
      return keysetPage<RunRow, { date: string; id: string }>(q, page, {
        columns: ['reconciliation_runs.business_date', 'reconciliation_runs.id'],
        types: ['date', 'uuid'],
        order: 'desc',
        values: (k) => [k.date, k.id],
      });
    });
    return rows.map(toRun);
  }

  private filtered(trx: Knex.Transaction, scope: ReadScope, f: DiscrepancyFilter): Knex.QueryBuilder {
    const q = trx('orders.discrepancies').whereIn('tenant_id', scope.tenantIds);
    if (f.date) q.where('business_date', f.date);
    if (f.runId) q.where('run_id', f.runId);
    if (f.kinds?.length) q.whereIn('kind', f.kinds);
    if (f.states?.length) q.whereIn('state', f.states);
    return q;
  }

  /** A keyset page of discrepancies by id: up to size + 1, in list order. */
  async discrepancies(scope: ReadScope, f: DiscrepancyFilter, page: KeysetWindow<{ id: string }>): Promise<DiscrepancyRecord[]> {
    const rows = await this.read(scope, (trx) =>
      keysetPage(this.filtered(trx, scope, f).select(D_COLUMNS(trx)), page, { columns: ['id'], types: ['uuid'], order: 'asc', values: (k) => [k.id] }),
    );
    return rows.map(toDiscrepancy);
  }

  /** Counts by kind and state, computed by the database. */
  async totals(scope: ReadScope, f: DiscrepancyFilter): Promise<{ kind: string; state: string; count: number }[]> {
    const rows = await this.read(scope, (trx) =>
      this.filtered(trx, scope, f)
        .select('kind', 'state')
        .count<{ kind: string; state: string; n: string }[]>({ n: '*' })
        .groupBy('kind', 'state')
        .orderBy(['kind', 'state']),
    );
    return rows.map((r) => ({ kind: r.kind, state: r.state, count: Number(r.n) }));
  }

  /** Resolve one, in the caller's own tenant only (RLS WITH CHECK). */
  async resolve(tenantId: string, id: string, note: string, by: string): Promise<DiscrepancyRecord | null> {
    const rows = await withTenantScope(this.knex, { tenantId, tenantIds: [tenantId] }, (trx) =>
      trx('orders.discrepancies')
        .where({ tenant_id: tenantId, id, state: 'OPEN' })
        .update({ state: 'RESOLVED', note, resolved_by: by, resolved_at: trx.fn.now() })
        .returning(D_COLUMNS(trx)),
    );
    return rows[0] ? toDiscrepancy(rows[0]) : null;
  }
}
