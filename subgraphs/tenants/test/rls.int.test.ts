import { randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { createKnex } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations, seedTenantWithAdmin } from '../src';
import { testHasher } from './harness';

const TABLES = ['tenants', 'users', 'roles', 'user_roles', 'user_stations', 'refresh_tokens', 'audit_events', 'outbox', 'id_tags', 'id_tag_settings'];

/** Row-level security of the identity tables, tested in SQL as the application role. */
describe('tenants row-level security (as the application role)', () => {
  let db: TestDatabase;
  let app: Knex;
  const root = randomUUID();
  const op = randomUUID();
  const partner = randomUUID();
  const sibling = randomUUID();

  const as = <T>(tenant: string | null, fn: (trx: Knex.Transaction) => Promise<T>) =>
    app.transaction(async (trx) => {
      if (tenant) await trx.raw("select set_config('app.tenant_id', ?, true)", [tenant]);
      return fn(trx);
    });
  const count = async (trx: Knex.Transaction, table: string) => Number((await trx.raw(`select count(*)::int as n from tenants.${table}`)).rows[0].n);

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    app = knexFactory({ client: 'pg', connection: db.appUrl, pool: { min: 0, max: 2 } });
    const k = createKnex({ connectionString: db.appUrl, schema: 'tenants', pool: { max: 2 } });
    const h = testHasher();
    const u = (n: string) => [{ username: n, password: 'password password', roles: ['VIEWER'], stationIds: [randomUUID()] }];
    await seedTenantWithAdmin(k, h, { id: root, code: `root-${root.slice(0, 8)}`, name: 'root', type: 'PLATFORM', users: u('r') });
    await seedTenantWithAdmin(k, h, { id: op, parentId: root, code: `op-${op.slice(0, 8)}`, name: 'op', type: 'OPERATOR', users: u('o') });
    await seedTenantWithAdmin(k, h, { id: partner, parentId: op, code: `p-${partner.slice(0, 8)}`, name: 'p', type: 'PARTNER', users: u('p') });
    await seedTenantWithAdmin(k, h, { id: sibling, parentId: op, code: `s-${sibling.slice(0, 8)}`, name: 's', type: 'PARTNER', users: u('s') });
    for (const t of [root, op, partner, sibling]) {
      await as(t, (trx) => trx.raw("insert into tenants.audit_events (tenant_id, type) values (?, 'LOGIN_SUCCEEDED')", [t]));
    }
    await k.destroy();
  });
  afterAll(async () => {
    await app?.destroy();
    await db?.drop();
  });

  it('the application role has no BYPASSRLS; every identity table has RLS enabled and forced', async () => {
    const role = await app.raw('select rolbypassrls, rolsuper from pg_roles where rolname = current_user');
    expect(role.rows[0]).toEqual({ rolbypassrls: false, rolsuper: false });
    const r = await app.raw(
      "select relname, relrowsecurity as on, relforcerowsecurity as forced from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'tenants' and c.relkind = 'r' and relname not like 'knex%' order by relname",
    );
    expect(r.rows.map((x: { relname: string }) => x.relname).sort()).toEqual([...TABLES].sort());
    for (const row of r.rows) expect(row).toEqual({ relname: row.relname, on: true, forced: true });
  });

  it('with no tenant set, every table returns zero rows', async () => {
    await as(null, async (trx) => {
      for (const t of TABLES) expect({ t, n: await count(trx, t) }).toEqual({ t, n: 0 });
    });
  });

  it('tenant rows: own and descendants only — never the parent or a sibling', async () => {
    const visible = (t: string) => as(t, async (trx) => (await trx('tenants.tenants').select('id')).map((r: { id: string }) => r.id).sort());
    expect(await visible(partner)).toEqual([partner]);
    expect(await visible(op)).toEqual([op, partner, sibling].sort());
    expect(await visible(root)).toEqual([root, op, partner, sibling].sort());
  });

  it("users, assignments, tokens and audit: only the tenant's own rows", async () => {
    await as(partner, async (trx) => {
      for (const t of ['users', 'user_roles', 'user_stations', 'audit_events']) expect({ t, n: await count(trx, t) }).toEqual({ t, n: 1 });
      const tenantsSeen = await trx.raw('select distinct tenant_id from tenants.users');
      expect(tenantsSeen.rows).toEqual([{ tenant_id: partner }]);
    });
  });

  it("cannot write another tenant's rows, nor move a tenant in the hierarchy", async () => {
    await expect(
      as(partner, (trx) => trx.raw("insert into tenants.users (tenant_id, username, password_hash) values (?, 'intruder', '$scrypt$x')", [sibling])),
    ).rejects.toThrow(/row-level security/);
    await expect(as(op, (trx) => trx.raw('update tenants.tenants set parent_id = null where id = ?', [partner]))).rejects.toThrow(/permission denied/);
    // a parent updating its child's name is allowed; the child can't touch the parent
    const n = await as(partner, (trx) => trx('tenants.tenants').update({ name: 'hijack' }).where({ id: op }));
    expect(n).toBe(0);
  });

  it('a tenant cannot create a root tenant or a child of a tenant outside its subtree', async () => {
    const evil = randomUUID();
    await expect(
      as(partner, (trx) => trx.raw("insert into tenants.tenants (id, parent_id, code, name, type) values (?, ?, 'evil', 'evil', 'PARTNER')", [evil, sibling])),
    ).rejects.toThrow(/row-level security/);
  });

  it('the audit log is append-only, even for the table owner', async () => {
    await expect(as(op, (trx) => trx.raw('update tenants.audit_events set type = ?', ['LOGOUT']))).rejects.toThrow(/permission denied/);
    await expect(as(op, (trx) => trx.raw('delete from tenants.audit_events'))).rejects.toThrow(/permission denied/);
    const owner = knexFactory({ client: 'pg', connection: db.ownerUrl, pool: { min: 0, max: 1 } });
    try {
      await expect(owner.raw('delete from tenants.audit_events')).rejects.toThrow(/append-only/);
      await expect(owner.raw('truncate tenants.audit_events')).rejects.toThrow(/append-only/);
    } finally {
      await owner.destroy();
    }
  });

  it('system roles are readable once a tenant is set, and never writable', async () => {
    await as(null, async (trx) => expect(await count(trx, 'roles')).toBe(0));
    await as(op, async (trx) => expect(await count(trx, 'roles')).toBe(5));
    const n = await as(op, (trx) =>
      trx('tenants.roles')
        .update({ permissions: trx.raw("'{platform:cross-tenant}'::text[]") })
        .whereNull('tenant_id'),
    );
    expect(n).toBe(0);
  });
});
