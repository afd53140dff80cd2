import { createKnex, inTenantInOneTrip, Knex, pipelinedInTransaction, readInTenantScope, withTenant } from '../src';
import { poolStatsOf } from '../src/db/knex-internals';

const url = process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const tenant = '00000000-0000-4000-8000-00000000000a';

/**
 * The three places we rely on knex internals (src/db/knex-internals.ts). Each test names
 * the internal it exercises, so a knex upgrade that moves one fails here by name instead
 * of silently losing the one-round-trip BEGIN, pipelining or prepared statements.
 */
describe('knex internals the platform patches', () => {
  let knex: Knex;
  let sent: string[];
  beforeEach(() => {
    knex = createKnex({ connectionString: url, schema: 'public', pool: { min: 1, max: 1 } });
    sent = [];
    knex.on('query', (q: { sql: string }) => sent.push(q.sql));
  });
  afterEach(() => knex.destroy());

  it('pg-transaction begin: a tenant transaction opens with our BEGIN + settings, not a bare BEGIN;', async () => {
    const got = await withTenant(
      knex,
      tenant,
      async (trx) => (await trx.raw<{ rows: { t: string }[] }>("select current_setting('app.tenant_id') as t")).rows[0].t,
    );
    expect(got).toBe(tenant);
    expect(sent[0]).toMatch(/^BEGIN; SELECT set_config\('app\.tenant_id', '00000000-0000-4000-8000-00000000000a', true\)/);
    expect(sent).not.toContain('BEGIN;');
    // A plain knex transaction is untouched by the patch.
    sent = [];
    await knex.transaction(async (trx) => trx.raw('select 1'));
    expect(sent[0]).toBe('BEGIN;');
  });

  it('context._transaction: savepoints and rollback inside a tenant transaction stay knex’s own', async () => {
    await knex.raw('create temporary table if not exists knex_internals_t (x int)');
    await withTenant(knex, tenant, async (trx) => {
      await trx.raw('insert into knex_internals_t values (1)');
      await trx
        .transaction(async (inner) => {
          await inner.raw('insert into knex_internals_t values (2)');
          throw new Error('roll the savepoint back');
        })
        .catch(() => undefined);
    });
    const { rows } = await knex.raw<{ rows: { x: number }[] }>('select x from knex_internals_t order by x');
    expect(rows.map((r) => r.x)).toEqual([1]);
    expect(sent.some((s) => /SAVEPOINT/i.test(s))).toBe(true);
  });

  it('client acquire/_query/processResponse: pipelined reads and writes answer in order, in one tenant transaction', async () => {
    const [a, b] = await readInTenantScope(knex, { tenantId: tenant, tenantIds: [tenant] }, [
      knex.raw("select current_setting('app.tenant_id') as t"),
      knex.select(knex.raw('?::int + 1 as n', [41])),
    ] as const);
    expect((a as unknown as { rows: { t: string }[] }).rows[0].t).toBe(tenant);
    expect((b as { n: number }[])[0].n).toBe(42);
    const [c] = await inTenantInOneTrip(knex, tenant, [knex.select(knex.raw('2 as two'))] as const);
    expect((c as { two: number }[])[0].two).toBe(2);
    const inside = await withTenant(knex, tenant, (trx) => pipelinedInTransaction(trx, [trx.select(knex.raw('3 as three'))] as const));
    expect((inside[0] as { three: number }[])[0].three).toBe(3);
  });

  it('the connection runs in pg pipeline mode (createKnex)', async () => {
    const client = knex.client as unknown as { acquireConnection(): Promise<{ pipeline?: boolean }>; releaseConnection(c: unknown): Promise<void> };
    const conn = await client.acquireConnection();
    try {
      expect(conn.pipeline).toBe(true);
    } finally {
      await client.releaseConnection(conn);
    }
  });

  it('client.pool: the pool gauges read knex’s tarn pool (used, free, waiting, max)', async () => {
    expect(poolStatsOf(knex)).toEqual({ used: 0, free: 0, waiting: 0, max: 1 });
    let waiting: Promise<unknown> | undefined;
    await knex.transaction(async (trx) => {
      await trx.raw('select 1');
      // a second query waits for the pool's one connection, held by this transaction
      waiting = knex.raw('select 1').then(() => undefined);
      for (let i = 0; i < 200 && poolStatsOf(knex)?.waiting !== 1; i++) await new Promise((r) => setImmediate(r));
      expect(poolStatsOf(knex)).toMatchObject({ used: 1, waiting: 1 });
    });
    await waiting;
  });
});
