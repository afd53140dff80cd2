import { Knex, withTenant } from '@evcs/platform';
import type { Checkpoint, ChargerRecordRow, DayWindow, NewDiscrepancy, OrderWithReadings, ReconStore, ReconTx, RunRecord } from '../domain/ports';
import type { DiscrepancyKind } from '../domain/reconciliation';
import { OrderModel } from './models';
import { toOrderWithReadings } from './order-store';

export interface RunRow {
  id: string;
  tenant_id: string;
  business_date: string;
  timezone: string;
  state: RunRecord['state'];
  phase: RunRecord['phase'];
  checkpoint: Checkpoint;
  processed: number;
  discrepancies: number;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

export const toRun = (r: RunRow): RunRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  businessDate: r.business_date,
  timezone: r.timezone,
  state: r.state,
  phase: r.phase,
  checkpoint: r.checkpoint,
  processed: r.processed,
  discrepancies: r.discrepancies,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const RUN_COLUMNS = ['id', 'tenant_id', 'timezone', 'state', 'phase', 'checkpoint', 'processed', 'discrepancies', 'error', 'started_at', 'finished_at'];
/** Runs as RunRow: the business date as the calendar day it names (not a Date at some zone's midnight). */
export const runSelect = (trx: Knex.Transaction) =>
  trx('orders.reconciliation_runs').select([...RUN_COLUMNS, trx.raw("to_char(business_date, 'YYYY-MM-DD') as business_date")]);

export class PgReconStore implements ReconStore {
  constructor(private readonly knex: Knex) {}

  inTenant<T>(tenantId: string, fn: (tx: ReconTx) => Promise<T>): Promise<T> {
    return withTenant(this.knex, tenantId, (trx) => fn(new PgReconTx(trx, tenantId)));
  }
}

class PgReconTx implements ReconTx {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly tenantId: string,
  ) {}

  async claimRun(date: string, timezone: string, staleBefore: Date): Promise<RunRecord | 'busy'> {
    const created = await this.trx('orders.reconciliation_runs')
      .insert({ tenant_id: this.tenantId, business_date: date, timezone, state: 'RUNNING' })
      .onConflict(['tenant_id', 'business_date'])
      .ignore()
      .returning('id');
    // Otherwise ours only if it failed or its worker stopped sending heartbeats; a completed run stays as it is.
    const taken = created.length
      ? created
      : await this.trx('orders.reconciliation_runs')
          .where({ tenant_id: this.tenantId, business_date: date })
          .whereRaw("(state = 'FAILED' or (state = 'RUNNING' and heartbeat_at < ?))", [staleBefore])
          .update({ state: 'RUNNING', heartbeat_at: this.trx.fn.now(), error: null })
          .returning('id');
    const run = await runSelect(this.trx).where({ tenant_id: this.tenantId, business_date: date }).first();
    return taken.length || run.state === 'COMPLETED' ? toRun(run) : 'busy';
  }

  async ordersBatch(w: DayWindow, after: Checkpoint, limit: number): Promise<OrderWithReadings[]> {
    // The batch's orders with their readings, as a graph: the readings' query names the orders found.
    const q = OrderModel.query(this.trx)
      .where('tenant_id', this.tenantId)
      .whereRaw('sort_at >= ? and sort_at < ?', [w.from, w.to])
      .orderByRaw('sort_at, id')
      .limit(limit)
      .withGraphFetched('readings')
      .modifyGraph('readings', (r) => void r.where('tenant_id', this.tenantId).orderBy('at'));
    if (after) q.whereRaw('(sort_at, id) > (?, ?)', [after.at, after.id]);
    return (await q).map(toOrderWithReadings);
  }

  async chargerRecordsBatch(w: DayWindow, after: Checkpoint, limit: number): Promise<ChargerRecordRow[]> {
    const q = this.trx('orders.charger_records as r')
      .leftJoin('orders.orders as o', (j) => {
        j.on('o.tenant_id', 'r.tenant_id').andOn('o.charger_code', 'r.charger_code').andOn('o.transaction_id', 'r.transaction_id');
      })
      .where('r.tenant_id', this.tenantId)
      .where('r.ended_at', '>=', w.from)
      .where('r.ended_at', '<', w.to)
      .select(
        'r.charger_code',
        'r.transaction_id',
        'r.ended_at',
        'r.energy_wh',
        'r.amount',
        'o.id as order_id',
        'o.energy_wh as order_energy_wh',
        this.trx.raw("o.bill->>'totalExact' as order_total_exact"),
      )
      .orderBy([{ column: 'r.ended_at' }, { column: 'r.charger_code' }, { column: 'r.transaction_id' }])
      .limit(limit);
    if (after) {
      q.whereRaw('(r.ended_at, r.charger_code, r.transaction_id) > (?, ?, ?)', [after.at, after.id, after.tx ?? '']);
    }
    const rows = (await q) as {
      charger_code: string;
      transaction_id: string;
      ended_at: Date;
      energy_wh: string;
      amount: string;
      order_id: string | null;
      order_energy_wh: string | null;
      order_total_exact: string | null;
    }[];
    return rows.map((r) => ({
      chargerCode: r.charger_code,
      transactionId: r.transaction_id,
      endedAt: r.ended_at,
      energyWh: Number(r.energy_wh),
      amount: r.amount,
      order: r.order_id ? { id: r.order_id, energyWh: r.order_energy_wh === null ? null : Number(r.order_energy_wh), totalExact: r.order_total_exact } : null,
    }));
  }

  async saveBatch(
    runId: string,
    b: { phase: RunRecord['phase']; checkpoint: Checkpoint; processed: number; discrepancies: NewDiscrepancy[] },
  ): Promise<DiscrepancyKind[]> {
    const run = await this.trx('orders.reconciliation_runs').select('business_date').where({ tenant_id: this.tenantId, id: runId }).first();
    let inserted: DiscrepancyKind[] = [];
    if (b.discrepancies.length) {
      const rows = await this.trx('orders.discrepancies')
        .insert(
          b.discrepancies.map((d) => ({
            tenant_id: this.tenantId,
            run_id: runId,
            business_date: run.business_date,
            kind: d.kind,
            subject: d.subject,
            order_id: d.orderId,
            charger_code: d.chargerCode,
            transaction_id: d.transactionId,
            expected: d.expected,
            actual: d.actual,
            detail: JSON.stringify(d.detail),
          })),
        )
        .onConflict(['tenant_id', 'business_date', 'kind', 'subject'])
        .ignore()
        .returning('kind');
      inserted = rows.map((r: { kind: DiscrepancyKind }) => r.kind);
    }
    await this.trx('orders.reconciliation_runs')
      .where({ tenant_id: this.tenantId, id: runId })
      .update({
        phase: b.phase,
        checkpoint: b.checkpoint ? JSON.stringify(b.checkpoint) : null,
        processed: this.trx.raw('processed + ?', [b.processed]),
        discrepancies: this.trx.raw('discrepancies + ?', [inserted.length]),
        heartbeat_at: this.trx.fn.now(),
      });
    return inserted;
  }

  async finish(runId: string, state: 'COMPLETED' | 'FAILED', error?: string): Promise<RunRecord> {
    await this.trx('orders.reconciliation_runs')
      .where({ tenant_id: this.tenantId, id: runId })
      .update({ state, error: error ?? null, finished_at: state === 'COMPLETED' ? this.trx.fn.now() : null, heartbeat_at: this.trx.fn.now() });
    return toRun(await runSelect(this.trx).where({ tenant_id: this.tenantId, id: runId }).first());
  }
}
