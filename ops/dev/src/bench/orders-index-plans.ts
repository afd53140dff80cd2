import { randomUUID } from 'node:crypto';
import { createKnex, ReadScope } from '@evcs/platform';
import { OrdersReadRepository } from '@evcs/orders/dist/src/persistence/read-repository';
import { migrations } from '@evcs/orders';
import { createTestDatabase } from '@evcs/testkit';

/**
 * Do the orders list queries use their tenant-first indexes at realistic
 * volume? Loads N orders (default 1,000,000: 20 tenants, one of them holding
 * half, 200 stations, 2000 chargers, 100k drivers, 90 days), then EXPLAIN
 * ANALYZEs the exact SQL the orders subgraph runs, as the application role
 * under row-level security.
 *
 *   node ops/dev/dist/src/bench/orders-index-plans.js [--orders 1000000]
 *
 * Record results in docs/orders.md.
 */
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const indexesOf = (n: PlanNode): string[] => [
  ...(n['Index Name'] ? [`${n['Node Type']} ${n['Index Name']}`] : n['Node Type'] === 'Seq Scan' ? ['Seq Scan'] : []),
  ...(n.Plans ?? []).flatMap(indexesOf),
];

async function main(): Promise<void> {
  const total = arg('orders', 1_000_000);
  const db = await createTestDatabase([migrations]);
  const owner = createKnex({ connectionString: db.ownerUrl, schema: 'orders', pool: { max: 1 } });
  const app = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 2 } });
  try {
    const tenants = Array.from({ length: 20 }, () => randomUUID());
    const t0 = Date.now();
    // Tenant 0 holds half the orders; ids of stations/chargers/users are derived from numbers so filters hit real values.
    await owner.raw(
      `insert into orders.orders (tenant_id, station_id, charger_id, charger_code, connector_no, user_id, origin, transaction_id, state, started_at, stopped_at, energy_wh, amount)
       select (?::uuid[])[case when g % 2 = 0 then 1 else 2 + (g % 19) end],
              md5('station' || (g % 200))::uuid, md5('charger' || (g % 2000))::uuid, 'CP-' || (g % 2000), 1 + (g % 2),
              md5('user' || (g % 100000))::uuid, 'API', g::text,
              case when g % 500 = 0 then 'CHARGING' when g % 7 = 0 then 'COMPLETED' else 'PAID' end,
              now() - (g % (90 * 24 * 60)) * interval '1 minute', now() - (g % (90 * 24 * 60)) * interval '1 minute' + interval '40 minutes',
              15000 + g % 20000, ((15000 + g % 20000) / 1000.0 * 1.2)::numeric(14,2)
         from generate_series(1, ?) g`,
      [tenants, total],
    );
    await owner.raw('analyze orders.orders');
    console.log(`loaded ${total.toLocaleString()} orders in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const repo = new OrdersReadRepository(app);
    const big = tenants[0];
    const scope = (extra: Partial<ReadScope> = {}): ReadScope => ({
      scope: 'TENANT',
      tenantId: big,
      tenantIds: [big],
      stationIds: null,
      selfSubject: null,
      ...extra,
    });
    const station = (await owner.raw("select md5('station8')::uuid as id")).rows[0].id as string;
    const stations = (await owner.raw("select md5('station' || n)::uuid as id from generate_series(8, 12, 2) n")).rows.map(
      (r: { id: string }) => r.id,
    ) as string[];
    const charger = (await owner.raw("select md5('charger78')::uuid as id")).rows[0].id as string;
    const user = (await owner.raw("select md5('user778')::uuid as id")).rows[0].id as string;
    const day = new Date(Date.now() - 3 * 86_400_000);
    const newest50 = { direction: 'forward', size: 50, cursor: null, order: 'DESC' } as const;
    const scenarios: [string, ReadScope, Parameters<OrdersReadRepository['listQuery']>[2], Parameters<OrdersReadRepository['listQuery']>[3]][] = [
      ['newest 50 of the tenant', scope(), {}, newest50],
      ['page 100 deep (keyset cursor)', scope(), {}, { ...newest50, cursor: { at: new Date(Date.now() - 86_400_000).toISOString(), id: randomUUID() } }],
      ['by station', scope(), { stationIds: [station] }, newest50],
      ['by charger', scope(), { chargerIds: [charger] }, newest50],
      ['by user', scope(), { userId: user }, newest50],
      ['active sessions (state CHARGING)', scope(), { states: ['CHARGING'] }, newest50],
      ['one day, oldest first', scope(), { from: day, to: new Date(day.getTime() + 86_400_000) }, { ...newest50, order: 'ASC' }],
      ['station manager (ASSIGNED_STATIONS, 3 stations)', scope({ scope: 'ASSIGNED_STATIONS', stationIds: stations }), {}, newest50],
      ['driver (SELF)', scope({ scope: 'SELF', selfSubject: user }), {}, newest50],
      ['small tenant, newest 50', scope({ tenantId: tenants[5], tenantIds: [tenants[5]] }), {}, newest50],
    ];
    console.log('| query | plan (indexes used) | rows | execution ms |\n| --- | --- | --- | --- |');
    for (const [name, s, f, page] of scenarios) {
      const out = await repo.inScope(s, async (trx) => {
        const { sql, bindings } = repo.listQuery(trx, s, f, page).toSQL();
        const r = await trx.raw(`explain (analyze, buffers, format json) ${sql}`, bindings as never);
        return r.rows[0]['QUERY PLAN'][0] as { Plan: PlanNode & { 'Actual Rows': number }; 'Execution Time': number };
      });
      console.log(`| ${name} | ${[...new Set(indexesOf(out.Plan))].join(', ')} | ${out.Plan['Actual Rows']} | ${out['Execution Time'].toFixed(2)} |`);
      if (process.argv.includes('--text')) {
        const text = await repo.inScope(s, async (trx) => {
          const { sql, bindings } = repo.listQuery(trx, s, f, page).toSQL();
          return (await trx.raw(`explain (analyze, costs off) ${sql}`, bindings as never)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        });
        console.log(text);
      }
    }
  } finally {
    await owner.destroy();
    await app.destroy();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
