import { TenantContextMissingError, type Logger } from '@evcs/platform';

export interface TenantEventHubOptions {
  /** Names the hub in log lines (e.g. the subscription field it feeds). */
  name: string;
  logger: Logger;
  /**
   * Events buffered per subscriber before the oldest are dropped. A subscriber
   * that falls this far behind is too slow for a live feed; dropping keeps one
   * slow client from holding memory for every event the instance sees.
   */
  maxQueue?: number;
}

/** An async iterator over one subscriber's events; `return()` unsubscribes. */
export interface HubIterator<T> extends AsyncIterableIterator<T> {
  return(): Promise<IteratorResult<T>>;
}

/**
 * In-process fan-out of events to subscribers, partitioned by tenant.
 *
 * Tenant isolation is structural: a subscriber is registered under exactly one
 * tenant and `publish` only ever looks at that tenant's subscribers, so an
 * event cannot reach another tenant's subscriber through a filter mistake.
 */
export class TenantEventHub<T> {
  private readonly byTenant = new Map<string, Set<Subscriber<T>>>();
  private readonly maxQueue: number;
  private closed = false;

  constructor(private readonly opts: TenantEventHubOptions) {
    this.maxQueue = opts.maxQueue ?? 1000;
  }

  /**
   * Subscribe to one tenant's events. `accept` narrows further (for example to
   * one charger); it never widens beyond the tenant.
   */
  subscribe(tenantId: string, accept: (event: T) => boolean = () => true): HubIterator<T> {
    if (!tenantId) throw new TenantContextMissingError(`subscription ${this.opts.name}`);
    const sub = new Subscriber<T>(
      this.maxQueue,
      accept,
      (s) => this.remove(tenantId, s),
      (dropped) =>
        this.opts.logger.warn({ hub: this.opts.name, tenantId, dropped, maxQueue: this.maxQueue }, 'slow subscriber fell behind; dropping oldest events'),
    );
    if (this.closed) {
      void sub.return();
      return sub;
    }
    let set = this.byTenant.get(tenantId);
    if (!set) this.byTenant.set(tenantId, (set = new Set()));
    set.add(sub);
    return sub;
  }

  /** Deliver to the tenant's subscribers; returns how many accepted it. */
  publish(tenantId: string, event: T): number {
    const set = this.byTenant.get(tenantId);
    if (!set) return 0;
    let delivered = 0;
    for (const sub of set) {
      if (sub.offer(event)) delivered++;
    }
    return delivered;
  }

  /** Number of live subscribers, across tenants. */
  get size(): number {
    let n = 0;
    for (const set of this.byTenant.values()) n += set.size;
    return n;
  }

  /** End every subscriber's iterator (they complete normally) and refuse new ones. */
  close(): void {
    this.closed = true;
    for (const set of [...this.byTenant.values()]) for (const sub of [...set]) void sub.return();
    this.byTenant.clear();
  }

  private remove(tenantId: string, sub: Subscriber<T>): void {
    const set = this.byTenant.get(tenantId);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.byTenant.delete(tenantId);
  }
}

class Subscriber<T> implements HubIterator<T> {
  private readonly queue: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private done = false;
  /** Events dropped since the queue was last drained. */
  private dropped = 0;

  constructor(
    private readonly maxQueue: number,
    private readonly accept: (event: T) => boolean,
    private readonly onEnd: (s: Subscriber<T>) => void,
    private readonly onDrop: (dropped: number) => void,
  ) {}

  offer(event: T): boolean {
    if (this.done || !this.accept(event)) return false;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
      return true;
    }
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.dropped++;
      // Once when the subscriber starts falling behind, then periodically while it stays behind.
      if (this.dropped === 1 || this.dropped % this.maxQueue === 0) this.onDrop(this.dropped);
    }
    this.queue.push(event);
    return true;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift() as T;
      if (this.queue.length === 0) this.dropped = 0;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.queue.length = 0;
      this.onEnd(this);
      const resolve = this.waiting;
      this.waiting = null;
      resolve?.({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
