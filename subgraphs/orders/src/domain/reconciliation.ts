import { type BusinessMetrics, formatMoney, moneyEquals, NO_BUSINESS_METRICS, type Money } from '@evcs/platform';
import type { MeterReading } from './meter';
import type { Bill, ChargerRecordRow, DayWindow, NewDiscrepancy, OrderRecord, Pricer, ReconStore, RunRecord } from './ports';
import { toX1e4 } from './money';
import { pricingRequest } from './pricing-input';

/** Map with at most `n` calls in flight (re-pricing a day's orders without flooding the tariffs service). */
async function mapLimit<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/**
 * Daily reconciliation of one tenant's orders against the chargers' own
 * transaction records and the payments. It streams the day in batches (memory
 * flat in the number of orders), saves a checkpoint with each batch's
 * discrepancies in one transaction, and resumes from it after a crash.
 */

export const DISCREPANCY_KINDS = [
  /** started that day and still not ended when the run looked */
  'MISSING_END',
  /** energy was delivered but the amount is zero or negative */
  'NON_POSITIVE_AMOUNT',
  /** re-pricing with the tariff engine gives another total */
  'AMOUNT_DIFFERS_FROM_REPRICING',
  /** the charger billed a transaction no order knows */
  'CHARGER_RECORD_WITHOUT_ORDER',
  /** the charger's energy differs from the order's */
  'ENERGY_DIFFERS_FROM_CHARGER',
  /** the charger billed another amount than the platform (it holds another billing model than the platform's plan) */
  'AMOUNT_DIFFERS_FROM_CHARGER',
  /** a payment succeeded for an order that is not completed */
  'PAID_BUT_NOT_COMPLETED',
  /** completed with something to pay, unpaid past the deadline */
  'COMPLETED_UNPAID',
] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

export interface ReconSettings {
  batchSize: number;
  /** a completed order with an amount is overdue this long after its stop */
  unpaidDeadlineMs: number;
  /** a RUNNING run without a heartbeat this long is taken over */
  staleRunMs: number;
  /** tolerated difference between order and charger energy (meter rounding) */
  energyToleranceWh: number;
  /** tolerated difference between the platform's exact total and the charger's, 10^-4 yuan (rounding) */
  amountToleranceX1e4: number;
}
export const DEFAULT_RECON_SETTINGS: ReconSettings = {
  batchSize: 1000,
  unpaidDeadlineMs: 72 * 3600_000,
  staleRunMs: 5 * 60_000,
  energyToleranceWh: 10,
  amountToleranceX1e4: 100,
};

const positive = (m: Money | null): boolean => m !== null && m.minor > 0;
const shown = (m: Money | null): string | null => (m === null ? null : formatMoney(m));

interface RunHooks {
  afterBatch?: (processed: number) => Promise<void>;
}

/** What one check found: kind, expected, actual, detail. */
type Finding = [kind: DiscrepancyKind, expected: string | null, actual: string | null, detail: Record<string, unknown>];

const BILLED_STATES: readonly string[] = ['COMPLETED', 'TO_PAY', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'];

function missingEnd(o: OrderRecord): Finding | null {
  const active = o.state === 'PENDING' || o.state === 'CHARGING' || o.state === 'FINISHING';
  return active && o.startedAt ? ['MISSING_END', 'a stop', o.state, { startedAt: o.startedAt.toISOString() }] : null;
}

function nonPositiveAmount(o: OrderRecord, billed: boolean): Finding | null {
  return billed && (o.energyWh ?? 0) > 0 && !positive(o.amount) ? ['NON_POSITIVE_AMOUNT', '> 0', shown(o.amount), { energyWh: o.energyWh }] : null;
}

function paidButNotCompleted(o: OrderRecord, billed: boolean): Finding | null {
  return o.paidAt && !billed ? ['PAID_BUT_NOT_COMPLETED', 'COMPLETED', o.state, { paidAt: o.paidAt.toISOString() }] : null;
}

export class ReconciliationService {
  constructor(
    private readonly store: ReconStore,
    private readonly pricer: Pricer,
    private readonly now: () => Date,
    private readonly window: (date: string, timezone: string) => DayWindow,
    private readonly settings: ReconSettings = DEFAULT_RECON_SETTINGS,
    private readonly metrics: BusinessMetrics = NO_BUSINESS_METRICS,
  ) {}

  /** New discrepancies of a saved batch, by kind; a re-pricing that differs is also a re-pricing mismatch. */
  private report(tenantId: string, kinds: readonly DiscrepancyKind[]): void {
    const byKind = new Map<DiscrepancyKind, number>();
    for (const k of kinds) byKind.set(k, (byKind.get(k) ?? 0) + 1);
    for (const [kind, n] of byKind) {
      this.metrics.discrepanciesFound(tenantId, 'orders', kind, n);
      if (kind === 'AMOUNT_DIFFERS_FROM_REPRICING') for (let i = 0; i < n; i++) this.metrics.repricingMismatch(tenantId, 'reconciliation');
    }
  }

  /** Run (or resume, or return) the reconciliation of `date` for one tenant. */
  async run(tenantId: string, date: string, timezone: string, hooks: RunHooks = {}): Promise<RunRecord | 'busy'> {
    const win = this.window(date, timezone);
    const claimed = await this.store.inTenant(tenantId, (tx) => tx.claimRun(date, timezone, new Date(this.now().getTime() - this.settings.staleRunMs)));
    if (claimed === 'busy' || claimed.state === 'COMPLETED') return claimed;
    let run = claimed;
    try {
      while (run.phase === 'ORDERS') run = await this.ordersBatch(tenantId, win, run, hooks);
      while (run.phase === 'CHARGER_RECORDS') run = await this.chargerRecordsBatch(tenantId, win, run, hooks);
      return await this.store.inTenant(tenantId, (tx) => tx.finish(run.id, 'COMPLETED'));
    } catch (e) {
      // The checkpoint stays: the next run of this date resumes from it.
      await this.store.inTenant(tenantId, (tx) => tx.finish(run.id, 'FAILED', e instanceof Error ? e.message : String(e))).catch(() => undefined);
      throw e;
    }
  }

  /** Checks the next batch of the day's orders and saves what it found with the checkpoint. */
  private async ordersBatch(tenantId: string, win: DayWindow, run: RunRecord, hooks: RunHooks): Promise<RunRecord> {
    const batch = await this.store.inTenant(tenantId, (tx) => tx.ordersBatch(win, run.checkpoint, this.settings.batchSize));
    const found = (await mapLimit(batch, 16, ({ order, readings }) => this.checkOrder(order, readings))).flat();
    const last = batch.at(-1)?.order;
    const next = last ? { at: (last.startedAt ?? last.createdAt).toISOString(), id: last.id } : null;
    const phase = batch.length < this.settings.batchSize ? 'CHARGER_RECORDS' : 'ORDERS';
    const fresh = await this.store.inTenant(tenantId, (tx) =>
      tx.saveBatch(run.id, { phase, checkpoint: phase === 'ORDERS' ? next : null, processed: batch.length, discrepancies: found }),
    );
    this.report(tenantId, fresh);
    const after: RunRecord = { ...run, phase, checkpoint: phase === 'ORDERS' ? next : null, processed: run.processed + batch.length };
    await hooks.afterBatch?.(after.processed);
    return after;
  }

  /** Checks the next batch of the chargers' own records of the day and saves what it found with the checkpoint. */
  private async chargerRecordsBatch(tenantId: string, win: DayWindow, run: RunRecord, hooks: RunHooks): Promise<RunRecord> {
    const batch = await this.store.inTenant(tenantId, (tx) => tx.chargerRecordsBatch(win, run.checkpoint, this.settings.batchSize));
    const found = batch.flatMap((r) => this.checkChargerRecord(r));
    const last = batch.at(-1);
    const next = last ? { at: last.endedAt.toISOString(), id: last.chargerCode, tx: last.transactionId } : null;
    const phase = batch.length < this.settings.batchSize ? 'DONE' : 'CHARGER_RECORDS';
    const fresh = await this.store.inTenant(tenantId, (tx) =>
      tx.saveBatch(run.id, { phase, checkpoint: phase === 'DONE' ? null : next, processed: batch.length, discrepancies: found }),
    );
    this.report(tenantId, fresh);
    const after: RunRecord = { ...run, phase, checkpoint: phase === 'DONE' ? null : next, processed: run.processed + batch.length };
    await hooks.afterBatch?.(after.processed);
    return after;
  }

  private async checkOrder(o: OrderRecord, readings: MeterReading[]): Promise<NewDiscrepancy[]> {
    const base = { subject: `order:${o.id}`, orderId: o.id, chargerCode: o.chargerCode, transactionId: o.transactionId };
    const billed = BILLED_STATES.includes(o.state);
    const findings = [
      missingEnd(o),
      nonPositiveAmount(o, billed),
      billed ? await this.repricingDiffers(o, readings) : null,
      paidButNotCompleted(o, billed),
      this.completedUnpaid(o),
    ];
    return findings.filter((f) => f !== null).map(([kind, expected, actual, detail]) => ({ kind, ...base, expected, actual, detail }));
  }

  private async repricingDiffers(o: OrderRecord, readings: MeterReading[]): Promise<Finding | null> {
    if (!o.bill || !o.startedAt || !o.stoppedAt || !o.chargerId || o.amount === null) return null;
    // Priced again from the same inputs the stop used: a difference means the bill is wrong (or the plan history changed).
    const repriced: Bill = await this.pricer.price(pricingRequest(o, readings, o.startedAt, o.stoppedAt, o.meterStopWh));
    if (moneyEquals(repriced.total, o.amount)) return null;
    return ['AMOUNT_DIFFERS_FROM_REPRICING', formatMoney(repriced.total), formatMoney(o.amount), { planVersions: repriced.planVersions }];
  }

  private completedUnpaid(o: OrderRecord): Finding | null {
    const unpaid = (o.state === 'COMPLETED' || o.state === 'TO_PAY') && positive(o.amount) && !o.paidAt;
    if (!unpaid || !o.stoppedAt || this.now().getTime() - o.stoppedAt.getTime() <= this.settings.unpaidDeadlineMs) return null;
    return ['COMPLETED_UNPAID', 'PAID', o.state, { stoppedAt: o.stoppedAt.toISOString(), amount: shown(o.amount) }];
  }

  private checkChargerRecord(r: ChargerRecordRow): NewDiscrepancy[] {
    const base = { chargerCode: r.chargerCode, transactionId: r.transactionId };
    if (!r.order) {
      return [
        {
          kind: 'CHARGER_RECORD_WITHOUT_ORDER',
          subject: `charger:${r.chargerCode}:${r.transactionId}`,
          orderId: null,
          ...base,
          expected: 'an order',
          actual: null,
          detail: { energyWh: r.energyWh, amount: r.amount },
        },
      ];
    }
    const out: NewDiscrepancy[] = [];
    const ours = r.order.energyWh ?? 0;
    if (Math.abs(ours - r.energyWh) > this.settings.energyToleranceWh) {
      out.push({
        kind: 'ENERGY_DIFFERS_FROM_CHARGER',
        subject: `order:${r.order.id}`,
        orderId: r.order.id,
        ...base,
        expected: String(r.energyWh),
        actual: String(ours),
        detail: {},
      });
    }
    const total = r.order.totalExact;
    if (total && /^\d+(\.\d+)?$/.test(total) && /^\d+(\.\d+)?$/.test(r.amount)) {
      const diff = toX1e4(total) - toX1e4(r.amount);
      if ((diff < 0n ? -diff : diff) > BigInt(this.settings.amountToleranceX1e4)) {
        out.push({
          kind: 'AMOUNT_DIFFERS_FROM_CHARGER',
          subject: `order:${r.order.id}`,
          orderId: r.order.id,
          ...base,
          expected: r.amount,
          actual: total,
          detail: { energyWh: r.energyWh },
        });
      }
    }
    return out;
  }
}
