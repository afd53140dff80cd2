import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's one metrics registry. Every metric of the platform is registered here
 * under the Prometheus conventions: an `evcs_` prefix, `_total` for counters, base units
 * in the name (`_seconds`, `_messages`, `_minor_units`). Labels are bounded sets only:
 * never a charger, order, user or (unless configured) tenant id.
 */
export const metricsRegistry = new Registry();

/** Buckets (seconds) for request-like work; 0.2 is the latency objective the alerts check. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10];

type Config<L extends string> = { name: string; help: string; labelNames?: readonly L[] };

// Get-or-create: a module that defines a metric can be loaded by several services' code in
// one process (tests), and prom-client refuses a second registration of a name.
function once<M>(name: string, make: () => M): M {
  return (metricsRegistry.getSingleMetric(name) as M | undefined) ?? make();
}

export function counter<L extends string = never>(c: Config<L>): Counter<L> {
  return once(c.name, () => new Counter({ ...c, labelNames: c.labelNames ?? [], registers: [metricsRegistry] }));
}

export function gauge<L extends string = never>(c: Config<L> & { collect?: (this: Gauge<L>) => void | Promise<void> }): Gauge<L> {
  return once(c.name, () => new Gauge({ ...c, labelNames: c.labelNames ?? [], registers: [metricsRegistry] }));
}

export function histogram<L extends string = never>(c: Config<L> & { buckets?: number[] }): Histogram<L> {
  return once(c.name, () => new Histogram({ buckets: LATENCY_BUCKETS, ...c, labelNames: c.labelNames ?? [], registers: [metricsRegistry] }));
}

let defaults = false;
/** Node's process and event-loop metrics (prom-client's defaults: CPU, memory, GC, event-loop lag, handles). Once per process. */
export function collectProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

/**
 * Gauges whose value is read from somewhere when Prometheus scrapes (a pool, a table): each
 * source registers itself and is asked at every scrape; a stopped one removes itself.
 */
export class ScrapeSources<S> {
  private readonly sources = new Set<S>();

  add(source: S): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  all(): S[] {
    return [...this.sources];
  }
}
