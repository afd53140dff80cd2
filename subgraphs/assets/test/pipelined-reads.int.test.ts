import { randomUUID } from 'node:crypto';
import { createKnex, Knex, readInTenantScope, withTenant } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';

/**
 * readInTenantScope (BEGIN + tenant, queries, COMMIT in one round trip) against
 * the real assets schema as the application role: RLS alone must confine it.
 */
describe('reads in one round trip (pipelined tenant transactions)', () => {
  let db: TestDatabase;
  let app: Knex;
  const a = randomUUID();
  const b = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    // Two connections for many concurrent readers: pipelined transactions of different
    // tenants follow one another on the same connections.
    app = createKnex({ connectionString: db.appUrl, schema: 'assets', pool: { min: 0, max: 2 } });
    for (const [t, n] of [
      [a, 3],
      [b, 5],
    ] as const) {
      await withTenant(app, t, async (trx) => {
        for (let i = 0; i < n; i++) await trx('stations').insert({ tenant_id: t, code: `S${i}`, name: `station ${i}` });
      });
    }
  });
  afterAll(async () => {
    await app?.destroy();
    await db?.drop();
  });

  const own = (t: string) => ({ tenantId: t, tenantIds: [t] });

  it("without any tenant filter in the SQL, a tenant's read returns only its rows (RLS sees the pipelined settings)", async () => {
    const [rows, count] = await readInTenantScope(app, own(a), [app('stations').select('tenant_id'), app('stations').count<{ n: string }[]>('* as n')]);
    expect(new Set(rows.map((r: { tenant_id: string }) => r.tenant_id))).toEqual(new Set([a]));
    expect(Number(count[0].n)).toBe(3);
  });

  it('2,000 interleaved reads of two tenants over two connections never see the other tenant', async () => {
    const results = await Promise.all(
      Array.from({ length: 2000 }, async (_, i) => {
        const t = i % 2 ? a : b;
        const [rows] = await readInTenantScope(app, own(t), [app('stations').select('tenant_id')]);
        return { t, seen: [...new Set(rows.map((r: { tenant_id: string }) => r.tenant_id))], n: rows.length };
      }),
    );
    for (const r of results) expect(r).toEqual({ t: r.t, seen: [r.t], n: r.t === a ? 3 : 5 });
  });

  it('a parent reading its visible tenants sees the rows of both', async () => {
    const [rows] = await readInTenantScope(app, { tenantId: a, tenantIds: [a, b] }, [app('stations').select('tenant_id')]);
    expect(rows).toHaveLength(8);
  });

  it('a failing query rejects with its error, and the connections come back clean: no tenant setting survives, reads go on', async () => {
    await expect(readInTenantScope(app, own(a), [app('stations').select('tenant_id'), app.raw('select 1 / 0')])).rejects.toThrow(/division by zero/);
    // Outside any tenant transaction, on whichever pooled connection: no tenant, no rows.
    for (let i = 0; i < 4; i++) {
      const r = await app.raw<{ rows: { t: string | null; n: number }[] }>(
        "select nullif(current_setting('app.tenant_id', true), '') as t, (select count(*)::int from stations) as n",
      );
      expect(r.rows[0]).toEqual({ t: null, n: 0 });
    }
    const [rows] = await readInTenantScope(app, own(b), [app('stations').select('id')]);
    expect(rows).toHaveLength(5);
  });

  it('a missing tenant is an error, not a read of nothing', async () => {
    await expect(readInTenantScope(app, { tenantId: '', tenantIds: [] }, [app('stations').select('id')])).rejects.toMatchObject({
      code: 'TENANT_CONTEXT_MISSING',
    });
  });
});
