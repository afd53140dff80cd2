/**
 * The in-process cache pricing reads plans and resolutions from. Entries are
 * grouped per tenant; a tenant's entries are dropped together when a tariff
 * event for that tenant arrives (plan edits are rare, so coarse invalidation
 * costs nothing and can't miss a dependent entry).
 *
 * A load that started before an invalidation never stores its (possibly stale)
 * result: each tenant has a generation, bumped on invalidation, and a load only
 * fills the cache if the generation is unchanged. Entries also expire after a
 * TTL, the backstop for an event that was never published (crash between commit
 * and publish) or never consumed.
 */
export interface PlanCacheOptions {
  ttlMs?: number;
  /** entries per tenant before that tenant's entries are dropped wholesale */
  maxEntriesPerTenant?: number;
  now?: () => number;
}

interface Entry {
  value: unknown;
  expiresAt: number;
}

export class PlanCache {
  private readonly tenants = new Map<string, Map<string, Entry>>();
  private readonly generations = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  readonly stats = { hits: 0, misses: 0, invalidations: 0 };

  constructor(opts: PlanCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.maxEntries = opts.maxEntriesPerTenant ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  async get<T>(tenantId: string, key: string, load: () => Promise<T>): Promise<T> {
    const entries = this.tenants.get(tenantId);
    const hit = entries?.get(key);
    if (hit && hit.expiresAt > this.now()) {
      this.stats.hits++;
      return hit.value as T;
    }
    this.stats.misses++;
    const gen = this.generations.get(tenantId) ?? 0;
    const flightKey = `${tenantId}|${gen}|${key}`;
    const running = this.inflight.get(flightKey);
    if (running) return running as Promise<T>;
    const p = load().then((value) => {
      if ((this.generations.get(tenantId) ?? 0) === gen) {
        let m = this.tenants.get(tenantId);
        if (!m) this.tenants.set(tenantId, (m = new Map()));
        if (m.size >= this.maxEntries) m.clear();
        m.set(key, { value, expiresAt: this.now() + this.ttlMs });
      }
      return value;
    });
    this.inflight.set(flightKey, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(flightKey);
    }
  }

  /** Drop everything cached for the tenant, and any result of a load already running. */
  invalidateTenant(tenantId: string): void {
    this.stats.invalidations++;
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
    this.tenants.delete(tenantId);
  }

  clear(): void {
    for (const t of [...this.tenants.keys()]) this.invalidateTenant(t);
  }
}
