import type { Knex } from 'knex';

export interface OutboxRow {
  id: string;
  /** the topic's base name; the relay applies the deployment's namespace */
  topic: string;
  key: string;
  /** the encoded message (JSON text) */
  payload: unknown;
  headers: Record<string, string>;
}

const SCHEMA = /^[a-z_][a-z0-9_]*$/;

/**
 * A service's outbox across tenants, read and marked by the relay through the two
 * SECURITY DEFINER functions every outbox has (createOutbox): the relay works for all
 * tenants without a role that bypasses row-level security.
 */
export class PgOutbox {
  private readonly pendingSql: string;
  private readonly markSql: string;
  private readonly backlogSql: string;

  constructor(
    private readonly knex: Knex,
    readonly schema: string,
  ) {
    if (!SCHEMA.test(schema)) throw new Error(`PgOutbox: not a schema name: ${schema}`);
    this.pendingSql = `select id, topic, key, payload, headers from ${schema}.outbox_pending(?)`;
    this.markSql = `select ${schema}.outbox_mark_published(?::uuid[]) as n`;
    this.backlogSql = `select pending, oldest_at from ${schema}.outbox_backlog()`;
  }

  /** Rows not yet published, and when the oldest of them was written (null: none). */
  async backlog(): Promise<{ pending: number; oldestAt: Date | null }> {
    const r = await this.knex.raw<{ rows: { pending: string; oldest_at: Date | null }[] }>(this.backlogSql);
    return { pending: Number(r.rows[0]?.pending ?? 0), oldestAt: r.rows[0]?.oldest_at ?? null };
  }

  async pending(limit: number): Promise<OutboxRow[]> {
    const r = await this.knex.raw<{ rows: OutboxRow[] }>(this.pendingSql, [limit]);
    return r.rows;
  }

  async markPublished(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.knex.raw<{ rows: { n: number }[] }>(this.markSql, [[...ids]]);
    return r.rows[0]?.n ?? 0;
  }
}
