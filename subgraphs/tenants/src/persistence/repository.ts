import { Knex, withTenant } from '@evcs/platform';

export interface Row { id: string; code: string; name: string; type: string; status: string }

/** Tenant-scoped reads: explicit tenant filter in the data layer, RLS underneath. */
export class Repository {
  constructor(private readonly knex: Knex) {}

  async current(tenantId: string): Promise<Row | null> {
    const rows = await withTenant(this.knex, tenantId, (trx) => trx<Row>('tenants').where({ id: tenantId }));
    return rows[0] ?? null;
  }

  byIds(tenantId: string, ids: readonly string[]): Promise<Row[]> {
    return withTenant(this.knex, tenantId, (trx) => trx<Row>('tenants').where({ id: tenantId }).whereIn('id', ids));
  }
}
