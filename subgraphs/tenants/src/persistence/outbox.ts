import type { Knex } from '@evcs/platform';

export interface OutboxRow {
  id: string;
  /** the topic's base name; the relay applies the deployment's namespace */
  topic: string;
  key: string;
  payload: unknown;
}

/** The outbox across tenants, through the two SECURITY DEFINER functions the relay is allowed. */
export class PgOutbox {
  constructor(private readonly knex: Knex) {}

  async pending(limit: number): Promise<OutboxRow[]> {
    const r = await this.knex.raw<{ rows: OutboxRow[] }>('select * from tenants.outbox_pending(?)', [limit]);
    return r.rows;
  }

  async markPublished(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.knex.raw<{ rows: { n: number }[] }>('select tenants.outbox_mark_published(?::uuid[]) as n', [[...ids]]);
    return r.rows[0]?.n ?? 0;
  }
}
