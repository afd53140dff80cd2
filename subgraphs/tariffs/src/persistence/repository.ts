import { Knex, withTenant } from '@evcs/platform';

export interface Row { id: string; name: string; currency: string; status: string }

/** Tenant-scoped reads: explicit tenant filter in the data layer, RLS underneath. */
export class Repository {
  constructor(private readonly knex: Knex) {}

  list(tenantId: string, limit: number): Promise<Row[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<Row>('tariff_plans').where('tenant_id', tenantId).orderByRaw('code').limit(limit));
  }

  byIds(tenantId: string, ids: readonly string[]): Promise<Row[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<Row>('tariff_plans').where('tenant_id', tenantId).whereIn('id', ids));
  }
}
