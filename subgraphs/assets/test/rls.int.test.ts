import { randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { reapplyTenantPolicies } from '@evcs/platform';
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
    for (const row of r.rows)
      expect({ t: row.relname, on: row.relrowsecurity, forced: row.relforcerowsecurity }).toEqual({ t: row.relname, on: true, forced: true });
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

  it('chargers, connectors and history: invisible and unwritable across tenants', async () => {
    const ids: Record<string, { station: string; charger: string; connector: string }> = {};
    for (const t of [a, b]) {
      await app.transaction(async (trx) => {
        await trx.raw("select set_config('app.tenant_id', ?, true)", [t]);
        const st = (await trx.raw("select id from assets.stations where code = 'S1'")).rows[0].id;
        const ch = (await trx.raw('insert into assets.chargers (tenant_id, station_id, code) values (?, ?, ?) returning id', [t, st, `RLS-${t}`])).rows[0].id;
        const cn = (await trx.raw('insert into assets.connectors (tenant_id, charger_id, connector_no) values (?, ?, 1) returning id', [t, ch])).rows[0].id;
        await trx.raw(
          "insert into assets.connector_status_history (tenant_id, connector_id, event_id, status, occurred_at) values (?, ?, gen_random_uuid(), 'Available', now())",
          [t, cn],
        );
        ids[t] = { station: st, charger: ch, connector: cn };
      });
    }
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
      for (const table of ['chargers', 'connectors', 'connector_status_history']) {
        const r = await trx.raw(`select distinct tenant_id from assets.${table}`);
        expect(r.rows).toEqual([{ tenant_id: a }]);
      }
      expect((await trx.raw("update assets.chargers set registration_state = 'RETIRED', retired_at = now() where id = ?", [ids[b].charger])).rowCount).toBe(0);
      expect((await trx.raw("update assets.connectors set status = 'Faulted' where id = ?", [ids[b].connector])).rowCount).toBe(0);
      // nothing can be written as b's
      await expect(trx.raw('insert into assets.connectors (tenant_id, charger_id, connector_no) values (?, ?, 2)', [b, ids[b].charger])).rejects.toThrow(
        /row-level security/,
      );
    });
  });

  it("an active charger code is unique across tenants even though the other tenant's row stays invisible", async () => {
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
      const st = (await trx.raw("select id from assets.stations where code = 'S2'")).rows[0].id;
      await expect(trx.raw('insert into assets.chargers (tenant_id, station_id, code) values (?, ?, ?)', [a, st, `RLS-${b}`])).rejects.toMatchObject({
        code: '23505',
        constraint: 'chargers_active_code',
      });
    });
    // retired, the code is free
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [b]);
      await trx.raw("update assets.chargers set registration_state = 'RETIRED', retired_at = now() where code = ?", [`RLS-${b}`]);
    });
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
      const st = (await trx.raw("select id from assets.stations where code = 'S2'")).rows[0].id;
      await trx.raw('insert into assets.chargers (tenant_id, station_id, code) values (?, ?, ?)', [a, st, `RLS-${b}`]);
      // and the connection identity resolves to the active one only
      const reg = await trx.raw('select tenant_id from assets.resolve_charger_registration(?)', [`RLS-${b}`]);
      expect(reg.rows).toEqual([{ tenant_id: a }]);
    });
  });

  it('the tenant setting does not leak past its transaction', async () => {
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
    });
    const r = await app.raw('select count(*)::int as n from assets.stations');
    expect(r.rows[0].n).toBe(0);
  });

  it('policies are in the single-array form, and re-applying converts an old one (migrations of existing databases)', async () => {
    const forms = await app.raw("select tablename, qual from pg_policies where schemaname = 'assets' and policyname like '%\\_tenant_isolation'");
    expect(forms.rows.length).toBeGreaterThanOrEqual(4);
    for (const p of forms.rows) expect({ t: p.tablename, single: /= ANY/.test(p.qual) && !/ OR /.test(p.qual) }).toEqual({ t: p.tablename, single: true });
    const owner = knexFactory({ client: 'pg', connection: db.ownerUrl, pool: { min: 0, max: 1 } });
    try {
      await owner.raw(`create table assets.tmp_old_policy (tenant_id uuid not null);
        alter table assets.tmp_old_policy enable row level security;
        create policy assets_tmp_old_policy_tenant_isolation on assets.tmp_old_policy
          using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
                 or tenant_id = any(string_to_array(nullif(current_setting('app.visible_tenant_ids', true), ''), ',')::uuid[]))`);
      await reapplyTenantPolicies(owner, 'assets');
      const after = await owner.raw("select qual from pg_policies where schemaname = 'assets' and tablename = 'tmp_old_policy'");
      expect(after.rows).toHaveLength(1);
      expect(after.rows[0].qual).toMatch(/concat_ws/);
      expect(after.rows[0].qual).not.toMatch(/ OR /);
    } finally {
      await owner.raw('drop table if exists assets.tmp_old_policy');
      await owner.destroy();
    }
  });
});
