import { randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';

/** Row-level security tested directly in SQL, connected as the application role. */
describe('tariffs row-level security (as the application role)', () => {
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
        const [p] = (await trx.raw("insert into tariffs.tariff_plans (tenant_id, name) values (?, 'p') returning id", [t])).rows;
        await trx.raw(
          `insert into tariffs.tariff_plan_versions (tenant_id, plan_id, version, effective_from, segments) values (?, ?, 1, now(), '[{"start":"00:00","end":"24:00","energyPrice":"1","serviceFee":"0"}]')`,
          [t, p.id],
        );
        await trx.raw("insert into tariffs.charger_tariff_bindings (tenant_id, charger_id, station_id, protocol, plan_id) values (?, ?, ?, 'OCPP16', ?)", [
          t,
          randomUUID(),
          randomUUID(),
          p.id,
        ]);
      });
    }
  });
  afterAll(async () => {
    await app?.destroy();
    await db?.drop();
  });

  it('every tariffs table has RLS enabled and forced', async () => {
    const r = await app.raw(
      "select relname, relrowsecurity, relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'tariffs' and c.relkind = 'r' and relname not like 'knex_migrations%'",
    );
    expect(r.rows.map((x: { relname: string }) => x.relname).sort()).toEqual([
      'audit_entries',
      'charger_tariff_bindings',
      'outbox',
      'tariff_plan_versions',
      'tariff_plans',
    ]);
    for (const row of r.rows) expect([row.relname, row.relrowsecurity, row.relforcerowsecurity]).toEqual([row.relname, true, true]);
  });

  it('with no tenant set, every table reads empty', async () => {
    for (const t of ['tariff_plans', 'tariff_plan_versions', 'charger_tariff_bindings', 'outbox']) {
      expect((await app.raw(`select count(*)::int as n from tariffs.${t}`)).rows[0].n).toBe(0);
    }
  });

  it("a tenant sees only its rows and cannot write another tenant's", async () => {
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
      for (const t of ['tariff_plans', 'tariff_plan_versions', 'charger_tariff_bindings']) {
        expect((await trx.raw(`select distinct tenant_id from tariffs.${t}`)).rows).toEqual([{ tenant_id: a }]);
      }
      await expect(trx.raw("insert into tariffs.tariff_plans (tenant_id, name) values (?, 'x')", [b])).rejects.toThrow(/row-level security/);
    });
    await app.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [a]);
      expect((await trx.raw("update tariffs.tariff_plans set name = 'hijacked' where tenant_id = ?", [b])).rowCount).toBe(0);
      expect((await trx.raw('delete from tariffs.charger_tariff_bindings where tenant_id = ?', [b])).rowCount).toBe(0);
    });
  });
});
