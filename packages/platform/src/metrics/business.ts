import type { Counter, Gauge } from 'prom-client';
import type { BusinessMetrics, FleetCounts } from '../business-metrics';
import type { Money } from '../money';
import { counter, gauge, ScrapeSources } from './registry';

export interface BusinessMetricsOptions {
  /**
   * Tenants whose id becomes the `tenant` label (any other is `other`); empty: no tenant label.
   * Fixed for the process: the first call decides the metrics' labels.
   */
  tenantLabels?: readonly string[];
}

const fleetSources = new ScrapeSources<() => Promise<readonly FleetCounts[]>>();

/** The fleet gauges (registered at the first observeFleet, by assets). */
const FLEET_GAUGES: [name: string, help: string, pick: (f: FleetCounts) => number][] = [
  ['evcs_chargers_registered', 'Registered chargers (read from the assets database at each scrape; every assets instance reports the same)', (f) => f.chargers],
  ['evcs_chargers_online', 'Registered chargers online', (f) => f.online],
  ['evcs_chargers_charging', 'Chargers with a connector charging', (f) => f.charging],
];
const CONNECTORS_GAUGE = 'evcs_connectors';
/** Every business metric's name, counters included once createBusinessMetrics has run (the dashboards' test reads it). */
export const BUSINESS_METRIC_NAMES = new Set<string>([...FLEET_GAUGES.map(([n]) => n), CONNECTORS_GAUGE]);

/** The BusinessMetrics port on the process's registry (see docs/observability.md for the catalogue). */
export function createBusinessMetrics(opts: BusinessMetricsOptions = {}): BusinessMetrics {
  const named = new Set(opts.tenantLabels ?? []);
  const byTenant = named.size > 0;
  const t = (tenantId: string): Record<string, string> => (byTenant ? { tenant: named.has(tenantId) ? tenantId : 'other' } : {});
  const labels = <L extends string>(...names: L[]): L[] => (byTenant ? (['tenant', ...names] as L[]) : names);
  // Each metric is registered at its first use: a service exports only the business metrics it reports.
  const c = <L extends string>(name: string, help: string, ...names: L[]): (() => Counter<L | 'tenant'>) => {
    BUSINESS_METRIC_NAMES.add(name);
    let made: Counter<L | 'tenant'> | undefined;
    return () => (made ??= counter<L | 'tenant'>({ name, help, labelNames: labels<L | 'tenant'>(...names) }));
  };

  const ordersCreated = c('evcs_orders_created_total', 'Orders created, by origin (API: a remote start; CHARGER: a session the charger started)', 'origin');
  const ordersCompleted = c('evcs_orders_completed_total', 'Orders closed and billed (COMPLETED)');
  const ordersFailed = c('evcs_orders_failed_total', 'Orders that failed, by reason (START_REJECTED, START_TIMEOUT, FORCE_CLOSED)', 'reason');
  const startsAccepted = c('evcs_charging_starts_accepted_total', 'Remote starts the charger confirmed');
  const startsRefused = c(
    'evcs_charging_starts_refused_total',
    'Starts refused, by reason (the platform’s user-error code, or START_REJECTED / START_TIMEOUT from the charger)',
    'reason',
  );
  const paymentsAttempted = c('evcs_payments_attempted_total', 'Payments created at a channel, by channel', 'channel');
  const paymentsSucceeded = c('evcs_payments_succeeded_total', 'Payments the channel confirmed, by channel', 'channel');
  const paymentsFailed = c(
    'evcs_payments_failed_total',
    'Payments that failed (the channel refused or was unreachable, or the trade failed), by channel',
    'channel',
  );
  const received = c(
    'evcs_payments_received_minor_units_total',
    'Money received in succeeded payments, in minor units (fen), by channel and currency',
    'channel',
    'currency',
  );
  const refunds = c('evcs_refunds_total', 'Refunds settled, by channel and outcome (succeeded, failed)', 'channel', 'outcome');
  const discrepancies = c(
    'evcs_reconciliation_discrepancies_total',
    'New discrepancies found by reconciliation runs, by source (orders, payments) and kind',
    'source',
    'kind',
  );
  const repricing = c(
    'evcs_repricing_mismatches_total',
    'Bills that disagreed with a re-pricing (reconciliation) or with the charger’s own bill (charger_bill)',
    'source',
  );

  const fleet = (name: string, help: string, pick: (f: FleetCounts) => number) =>
    gauge<'tenant'>({
      name,
      help,
      labelNames: labels<'tenant'>(),
      async collect() {
        this.reset();
        for (const [tenant, fs] of await fleetByLabel(byTenant ? t : () => ({})))
          (this as Gauge<'tenant'>).set(
            tenant,
            fs.reduce((n, f) => n + pick(f), 0),
          );
      },
    });
  const observeFleetGauges = () => {
    for (const [name, help, pick] of FLEET_GAUGES) fleet(name, help, pick);
    gauge<'tenant' | 'status'>({
      name: CONNECTORS_GAUGE,
      help: 'Connectors of registered chargers, by status (Available, Charging, …, Offline)',
      labelNames: labels<'tenant' | 'status'>('status'),
      async collect() {
        this.reset();
        for (const [tenant, fs] of await fleetByLabel(byTenant ? t : () => ({}))) {
          const byStatus = new Map<string, number>();
          for (const f of fs) for (const [status, n] of Object.entries(f.connectors)) byStatus.set(status, (byStatus.get(status) ?? 0) + n);
          for (const [status, n] of byStatus) this.set({ ...tenant, status }, n);
        }
      },
    });
  };

  return {
    orderCreated: (tenantId, origin) => ordersCreated().inc({ ...t(tenantId), origin }),
    orderCompleted: (tenantId) => ordersCompleted().inc(t(tenantId)),
    orderFailed: (tenantId, reason) => ordersFailed().inc({ ...t(tenantId), reason }),
    startAccepted: (tenantId) => startsAccepted().inc(t(tenantId)),
    startRefused: (tenantId, reason) => startsRefused().inc({ ...t(tenantId), reason }),
    paymentAttempted: (tenantId, channel) => paymentsAttempted().inc({ ...t(tenantId), channel }),
    paymentSucceeded: (tenantId, channel, amount: Money) => {
      paymentsSucceeded().inc({ ...t(tenantId), channel });
      received().inc({ ...t(tenantId), channel, currency: amount.currency }, amount.minor);
    },
    paymentFailed: (tenantId, channel) => paymentsFailed().inc({ ...t(tenantId), channel }),
    refundSettled: (tenantId, channel, outcome) => refunds().inc({ ...t(tenantId), channel, outcome }),
    discrepanciesFound: (tenantId, source, kind, count) => {
      if (count > 0) discrepancies().inc({ ...t(tenantId), source, kind }, count);
    },
    repricingMismatch: (tenantId, source) => repricing().inc({ ...t(tenantId), source }),
    observeFleet: (source) => {
      observeFleetGauges();
      fleetSources.add(source);
    },
  };
}

/** Every fleet source's counts, grouped by the label set their tenant maps to. */
async function fleetByLabel(label: (tenantId: string) => Record<string, string>): Promise<Map<Record<string, string>, FleetCounts[]>> {
  const read = await Promise.allSettled(fleetSources.all().map((s) => s()));
  const groups = new Map<string, { labels: Record<string, string>; counts: FleetCounts[] }>();
  for (const r of read) {
    if (r.status !== 'fulfilled') continue;
    for (const f of r.value) {
      const l = label(f.tenantId);
      const key = JSON.stringify(l);
      const g = groups.get(key) ?? { labels: l, counts: [] };
      g.counts.push(f);
      groups.set(key, g);
    }
  }
  return new Map([...groups.values()].map((g) => [g.labels, g.counts]));
}
