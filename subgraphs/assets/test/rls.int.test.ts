import { randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';

/** Row-level security tested directly in SQL, connected as the application role. */
describe('assets row-level security (as the application role)', () => {
  let db: TestDatabase;
  let app: Knex;
  const a = randomUUID();
  const b = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    app = knexFactory({ client: 'pg', connection: db.appUrl, pool: { min: 0, max: 2 } });
    for (const t of [a, b]) {
      await app.transaction(async (trx) => {
        await trx.raw("select set_config('app.tenant_id', ?, true)", [t]);
        await trx.raw("insert into assets.stations (tenant_id, code, name) values (?, 'S1', 'one'), (?, 'S2', 'two')", [t, t]);
      });
    }
  });
  afterAll(async () => {
    await app?.destroy();
    await db?.drop();
  });

  it('the application role has no BYPASSRLS and owns no table', async () => {
    const role = await app.raw('select rolbypassrls, rolsuper from pg_roles where rolname = current_user');
    expect(role.rows[0]).toEqual({ rolbypassrls: false, rolsuper: false });
    const owned = await app.raw("select count(*)::int as n from pg_tables where schemaname = 'assets' and tableowner = current_user");
    expect(owned.rows[0].n).toBe(0);
  });

  it('every assets table has RLS enabled and forced', async () => {
    const r = await app.raw(
      "select relname, relrowsecurity, relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'assets' and c.relkind = 'r' and relname <> 'knex_migrations' and relname <> 'knex_migrations_lock'",
    );
    expect(r.rows.length).toBeGreaterThanOrEqual(4);
    for (const row of r.rows) expect({ t: row.relname, on: row.relrowsecurity, forced: row.relforcerowsecurity }).toEqual({ t: row.relname, on: true, forced: true });
  });

  it('with no tenant set, a query returns zero rows', async () => {
    const r = await app.raw('select count(*)::int as n from assets.stations');
    expect(r.rows[0].n).toBe(0);
  });

  it("a tenant sees only its own rows and cannot write another tenant's", async () => {
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
      const r = await trx.raw('select distinct tenant_id from assets.stations');
      expect(r.rows).toEqual([{ tenant_id: a }]);
      await expect(trx.raw("insert into assets.stations (tenant_id, code, name) values (?, 'X', 'x')", [b])).rejects.toThrow(/row-level security/);
    });
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
      const upd = await trx.raw("update assets.stations set name = 'hijacked' where tenant_id = ?", [b]);
      expect(upd.rowCount).toBe(0);
    });
  });

  it('visible tenants are readable but never writable', async () => {
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true), set_config('app.visible_tenant_ids', ?, true)", [a, b]);
      const r = await trx.raw('select tenant_id, count(*)::int as n from assets.stations group by tenant_id order by n');
      expect(r.rows.map((x: { tenant_id: string }) => x.tenant_id).sort()).toEqual([a, b].sort());
      await expect(trx.raw("insert into assets.stations (tenant_id, code, name) values (?, 'Y', 'y')", [b])).rejects.toThrow(/row-level security/);
    });
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true), set_config('app.visible_tenant_ids', ?, true)", [a, b]);
      await expect(trx.raw("update assets.stations set name = 'hijacked' where tenant_id = ?", [b])).rejects.toThrow(/row-level security/);
    });
  });

  it('the tenant setting does not leak past its transaction', async () => {
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
    });
    const r = await app.raw('select count(*)::int as n from assets.stations');
    expect(r.rows[0].n).toBe(0);
  });
});
