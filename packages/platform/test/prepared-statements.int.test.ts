import { createKnex, Knex, UNPREPARED, withTenant } from '../src';

const url = process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** createKnex prepares parameterised queries per connection, bounded (real Postgres). */
describe('prepared statements', () => {
  let knex: Knex;
  // One connection, so pg_prepared_statements (per session) shows everything this pool prepared.
  beforeEach(() => (knex = createKnex({ connectionString: url, schema: 'public', pool: { min: 1, max: 1 } })));
  afterEach(() => knex.destroy());

  const prepared = async () =>
    (await knex.raw<{ rows: { name: string; statement: string }[] }>("select name, statement from pg_prepared_statements where name like 'evcs\\_%'")).rows;

  it('a query shape is prepared once and then reused with new parameters', async () => {
    const results: number[] = [];
    for (let i = 0; i < 5; i++) results.push(Number((await knex.select(knex.raw('?::int * 2 as x', [i])))[0].x));
    expect(results).toEqual([0, 2, 4, 6, 8]);
    const stmts = await prepared();
    expect(stmts.filter((s) => s.statement === 'select $1::int * 2 as x')).toHaveLength(1);
  });

  it('queries without parameters (knex BEGIN, the multi-statement tenant BEGIN) are not prepared and still work', async () => {
    const tenant = '00000000-0000-4000-8000-000000000001';
    const got = await withTenant(
      knex,
      tenant,
      async (trx) => (await trx.raw<{ rows: { t: string }[] }>("select current_setting('app.tenant_id') as t")).rows[0].t,
    );
    expect(got).toBe(tenant);
    expect(await prepared()).toEqual([]);
  });

  it('a query marked UNPREPARED is planned for its values every time: never prepared, however often it runs', async () => {
    const results: number[] = [];
    for (let i = 0; i < 8; i++)
      results.push(
        (
          await knex
            .raw<{ rows: { n: number }[] }>('select count(*)::int as n from unnest(?::int[]) u', [Array.from({ length: i }, (_, k) => k)])
            .options(UNPREPARED)
        ).rows[0].n,
      );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await prepared()).toEqual([]);
  });

  it('a connection keeps at most 256 prepared statements; further shapes run unprepared, correctly', async () => {
    for (let n = 1; n <= 300; n++) {
      const list = Array.from({ length: n }, (_, i) => i);
      const rows = await knex.select(knex.raw('count(*)::int as c')).from(knex.raw('generate_series(0, 1000) g')).whereIn('g', list);
      expect(rows[0].c).toBe(n);
    }
    expect((await prepared()).length).toBe(256);
  });
});
