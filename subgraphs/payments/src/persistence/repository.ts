import { Knex, withTenant } from '@evcs/platform';

export interface Row { id: string; channel: string; amount_minor: string; currency: string; status: string }

/** Tenant-scoped reads: explicit tenant filter in the data layer, RLS underneath. */
export class Repository {
  constructor(private readonly knex: Knex) {}

  list(tenantId: string, limit: number): Promise<Row[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<Row>('payments').where('tenant_id', tenantId).orderByRaw('created_at desc').limit(limit));
  }

  byIds(tenantId: string, ids: readonly string[]): Promise<Row[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<Row>('payments').where('tenant_id', tenantId).whereIn('id', ids));
  }
}
