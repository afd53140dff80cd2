import type { Knex } from '@evcs/platform';

/**
 * What the orders scheduler reads across tenants, through SECURITY DEFINER functions that
 * return ids only (the work itself then runs per tenant, under row-level security).
 */
export class PgJobsStore {
  constructor(private readonly knex: Knex) {}

  /** Remote starts still pending since before `before`. */
  async stalePendingStarts(before: Date, limit = 500): Promise<{ id: string; tenantId: string }[]> {
    const { rows } = await this.knex.raw<{ rows: { id: string; tenant_id: string }[] }>('select * from orders.stale_pending_starts(?, ?)', [before, limit]);
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
  }

  /** Tenants with orders in [from, to): whom a day's reconciliation covers. */
  async tenantsActiveBetween(from: Date, to: Date): Promise<string[]> {
    const { rows } = await this.knex.raw<{ rows: { tenant_id: string }[] }>('select tenant_id from orders.tenants_active_between(?, ?)', [from, to]);
    return rows.map((r) => r.tenant_id);
  }
}
