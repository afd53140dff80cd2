import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import knexFactory, { Knex } from 'knex';
import { z } from 'zod';
import { connectionOf, cursorCodec, dropDatabase, ensureDatabase, keysetPage, keysetQuery, pageWindow, withDatabase, type KeysetOrder } from '../src';
import { cmp, walk, type Row } from './paging-walk';

const superuser = process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const codec = cursorCodec('thing', z.object({ at: z.number().int(), id: z.number().int() }));

/** keysetPage against real Postgres: a table of (list, at, id) rows paged by (at, id). */
describe('keysetPage', () => {
  const database = `evcs_t_keyset_${randomBytes(4).toString('hex')}`;
  let db: Knex;
  let list = 0;
  const order = (dir: 'asc' | 'desc'): KeysetOrder<Row> => ({
    columns: ['t.at', 't.id'],
    types: ['integer', 'integer'],
    order: dir,
    values: (k) => [k.at, k.id],
  });
  const rowsOf = (l: number) => db('things as t').where('t.list', l).select('t.at', 't.id');

  /** A fresh list of these rows (lists share the table, as tenants do: the filter must hold). */
  async function aList(rows: readonly Row[]): Promise<number> {
    const l = ++list;
    if (rows.length) await db('things').insert(rows.map((r) => ({ list: l, ...r })));
    return l;
  }

  beforeAll(async () => {
    await ensureDatabase(superuser, database);
    db = knexFactory({ client: 'pg', connection: withDatabase(superuser, database), pool: { min: 0, max: 2 } });
    await db.raw('create table things (list integer not null, at integer not null, id integer not null, primary key (list, id))');
  });
  afterAll(async () => {
    await db?.destroy();
    await dropDatabase(superuser, database);
  });

  it('reads size + 1 rows after the cursor forwards and before it backwards, in list order', async () => {
    const l = await aList([1, 2, 3, 4, 5].map((id) => ({ at: id % 2, id })));
    const sorted = [2, 4, 1, 3, 5];
    const ids = async (w: ReturnType<typeof pageWindow<Row>>, dir: 'asc' | 'desc' = 'asc') =>
      (await keysetPage<Row, Row>(rowsOf(l), w, order(dir))).map((r) => r.id);
    expect(await ids(pageWindow({ first: 2 }, { codec, defaultSize: 2 }))).toEqual(sorted.slice(0, 3));
    expect(await ids(pageWindow({ first: 2, after: codec.encode({ at: 0, id: 4 }) }, { codec, defaultSize: 2 }))).toEqual([1, 3, 5]);
    expect(await ids(pageWindow({ last: 2 }, { codec, defaultSize: 2 }))).toEqual([1, 3, 5]);
    expect(await ids(pageWindow({ last: 2, before: codec.encode({ at: 1, id: 3 }) }, { codec, defaultSize: 2 }))).toEqual([2, 4, 1]);
    expect(await ids(pageWindow({ last: 3 }, { codec, defaultSize: 2 }), 'desc')).toEqual([3, 1, 4, 2]);
    expect(await ids(pageWindow({ first: 2 }, { codec, defaultSize: 2 }), 'desc')).toEqual([5, 3, 1]);
  });

  it('binds the cursor as parameters of the stated types, columns as identifiers', () => {
    const w = pageWindow({ first: 2, after: codec.encode({ at: 7, id: 8 }) }, { codec, defaultSize: 2 });
    const sql = keysetQuery(rowsOf(0), w, order('asc')).toSQL().toNative();
    expect(sql.sql).toContain('("t"."at", "t"."id") > ($2::integer, $3::integer)');
    expect(sql.sql).toContain('order by "t"."at" asc, "t"."id" asc limit $4');
    expect(sql.bindings).toEqual([0, 7, 8, 3]);
    const expr = keysetQuery(rowsOf(0), w, { ...order('desc'), columns: [db.raw('abs(t.at)'), 't.id'] })
      .toSQL()
      .toNative();
    expect(expr.sql).toContain('(abs(t.at), "t"."id") < ($2::integer, $3::integer) order by abs(t.at) desc, "t"."id" desc');
    expect(() => keysetQuery(rowsOf(0), w, { ...order('asc'), types: ['int; drop table things', null] })).toThrow('not a type name');
  });

  it('paging forwards, then backwards, visits every row exactly once, in order, both orders (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ at: fc.integer({ min: -3, max: 3 }), id: fc.integer({ min: 0, max: 10_000 }) }), { selector: (r) => r.id, maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        async (rows, size) => {
          const l = await aList(rows);
          const sorted = [...rows].sort(cmp);
          const asc = await walk((w) => keysetPage<Row, Row>(rowsOf(l), w, order('asc')), size, codec);
          expect(asc).toEqual({ forward: sorted, backward: sorted });
          const desc = await walk((w) => keysetPage<Row, Row>(rowsOf(l), w, order('desc')), size, codec.inOrder('DESC'));
          expect(desc).toEqual({ forward: [...sorted].reverse(), backward: [...sorted].reverse() });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a row added between reads is neither skipped nor repeated by pages already past it', async () => {
    const l = await aList([10, 20, 30].map((id) => ({ at: 0, id })));
    const w1 = pageWindow({ first: 2 }, { codec, defaultSize: 2 });
    const p1 = connectionOf(await keysetPage<Row, Row>(rowsOf(l), w1, order('asc')), w1, { key: (r) => r, node: (r) => r.id });
    await db('things').insert({ list: l, at: 0, id: 5 });
    const w2 = pageWindow({ first: 2, after: p1.pageInfo.endCursor }, { codec, defaultSize: 2 });
    const p2 = connectionOf(await keysetPage<Row, Row>(rowsOf(l), w2, order('asc')), w2, { key: (r) => r, node: (r) => r.id });
    expect([...p1.edges, ...p2.edges].map((e) => e.node)).toEqual([10, 20, 30]);
    expect(p2.pageInfo).toEqual(expect.objectContaining({ hasNextPage: false, hasPreviousPage: true }));
  });
});
