import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import { withTenant } from './tenant-scope';

/**
 * Batches of a tenant's work in one transaction, for consumers: while `batch(tenant, fn)`
 * runs, every `run(tenant, work)` made for that tenant in the same async context joins the
 * batch's transaction instead of opening its own; the batch commits when `fn` resolves.
 * All or nothing, on purpose without savepoints (a savepoint costs the two round trips a
 * batch saves): once any work fails, the batch is spoiled — later work fails at once and
 * the batch rejects, even if the caller caught the error — and nothing of it is kept.
 * Callers then apply the items again one by one. Work for another tenant keeps its own
 * transaction.
 */
export class TenantBatches {
  private readonly open = new AsyncLocalStorage<{ tenantId: string; trx: Knex.Transaction; failed: unknown }>();

  constructor(private readonly knex: Knex) {}

  private static readonly shared = new WeakMap<Knex, TenantBatches>();

  /**
   * The batches of this pool, one instance for everyone who asks: a store and a reader of
   * another table (orders' charger projection) see the same open batch, so a read made while
   * a consumer's batch holds a connection goes through that connection instead of waiting
   * for a second one from the same pool (with every connection held by a batch, it never came).
   */
  static for(knex: Knex): TenantBatches {
    let b = TenantBatches.shared.get(knex);
    if (!b) TenantBatches.shared.set(knex, (b = new TenantBatches(knex)));
    return b;
  }

  /** The transaction of the batch open for this tenant in this async context, if any (and not spoiled). */
  current(tenantId: string): Knex.Transaction | undefined {
    const open = this.open.getStore();
    return open && open.tenantId === tenantId && !open.failed ? open.trx : undefined;
  }

  batch<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const open = { tenantId, trx, failed: undefined as unknown };
      const result = await this.open.run(open, fn);
      if (open.failed) throw open.failed;
      return result;
    });
  }

  async run<T>(tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    const open = this.open.getStore();
    if (!open || open.tenantId !== tenantId) return withTenant(this.knex, tenantId, work);
    if (open.failed) throw open.failed;
    try {
      return await work(open.trx);
    } catch (e) {
      open.failed = e;
      throw e;
    }
  }
}

/**
 * Consumers' way through a chunk of events: each run of consecutive items of one tenant
 * goes through `batch` (one transaction — TenantBatches — all or nothing, with `strict`
 * applying each item); a run whose batch fails is applied again item by item with `alone`
 * (by default `strict`), so only what must fail fails. Results in the items' order.
 */
export async function applyInTenantRuns<T extends { tenantId: string }, R>(
  items: readonly T[],
  batch: (tenantId: string, fn: () => Promise<R[]>) => Promise<R[]>,
  strict: (item: T) => Promise<R>,
  alone: (item: T) => Promise<R> = strict,
): Promise<R[]> {
  return applyTenantRuns(
    items,
    (tenantId, run) =>
      batch(tenantId, async () => {
        const out: R[] = [];
        for (const item of run) out.push(await strict(item));
        return out;
      }),
    alone,
  );
}

/**
 * The same, for a consumer that applies a whole run at once (set-based statements):
 * `applyRun` gets each run of consecutive items of one tenant and must apply it all or
 * nothing, resolving one result per item in order; a run it rejects is applied again
 * item by item with `alone`.
 */
export async function applyTenantRuns<T extends { tenantId: string }, R>(
  items: readonly T[],
  applyRun: (tenantId: string, run: readonly T[]) => Promise<R[]>,
  alone: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length;) {
    let j = i + 1;
    while (j < items.length && items[j].tenantId === items[i].tenantId) j++;
    const run = items.slice(i, j);
    try {
      results.push(...(await applyRun(run[0].tenantId, run)));
    } catch {
      // Nothing of the run was kept: one by one.
      for (const item of run) results.push(await alone(item));
    }
    i = j;
  }
  return results;
}
