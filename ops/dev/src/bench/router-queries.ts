import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { createKnex, dropDatabase } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { startStack } from '../stack';

/**
 * Benchmark: authenticated GraphQL queries through the router (router → assets
 * or orders → Postgres with RLS), the whole platform running as real processes.
 *
 *   node ops/dev/dist/src/bench/router-queries.js [--duration 20] [--connections 50] [--only orders]
 *
 * Prints throughput and latency percentiles. Record results in docs/benchmarks.md.
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function main(): Promise<void> {
  const duration = arg('duration', 20);
  const connections = arg('connections', 50);
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
  const database = uniqueName('evcs_bench');
  const stack = await startStack({ database, kafkaNamespace: uniqueName('bench'), ports: 'ephemeral', quiet: true });
  try {
    const tenantId = randomUUID();
    await stack.seedTenant({
      id: tenantId,
      code: 'bench',
      name: 'Bench operator',
      stations: [1, 2, 3, 4, 5].map((s) => ({
        code: `BENCH-ST-${s}`,
        name: `Bench station ${s}`,
        chargers: [1, 2, 3, 4].map((c) => ({ code: `BENCH-${s}-${c}`, connectors: 2 })),
      })),
    });
    // 20,000 finished orders of this tenant over 30 days, written as the database superuser
    // (a benchmark fixture; the orders service itself only writes through its sessions).
    const seeder = createKnex({ connectionString: superuserUrlFor(database), schema: 'orders', pool: { max: 1 } });
    try {
      await seeder.raw(
        `insert into orders.orders (tenant_id, station_id, charger_id, charger_code, connector_no, user_id, origin, transaction_id, state, started_at, stopped_at, energy_wh, amount)
         select ?::uuid, md5('station' || (g % 5))::uuid, md5('charger' || (g % 20))::uuid, 'BENCH-' || (g % 20), 1 + (g % 2),
                md5('user' || (g % 500))::uuid, 'API', g::text, 'PAID',
                now() - g * interval '2 minutes', now() - g * interval '2 minutes' + interval '40 minutes',
                15000 + g % 20000, ((15000 + g % 20000) / 1000.0 * 1.2)::numeric(14,2)
           from generate_series(1, 20000) g`,
        [tenantId],
      );
      await seeder.raw('analyze orders.orders');
    } finally {
      await seeder.destroy();
    }
    const oneOrder = (await stackOrderIds(database, tenantId))[0];
    const token = await stack.tokenFor(tenantId);
    const scenarios = [
      { name: 'stations (1 subgraph fetch, 1 SQL query)', query: '{ stations { edges { node { id name status } } } }' },
      {
        name: 'stations → chargers → connectors (3 batched SQL queries)',
        query: '{ stations { edges { node { name chargers { code online connectors { connectorNo status } } } } } }',
      },
      {
        name: 'stations with stats (3 SQL queries: page + 2 grouped aggregates)',
        query: '{ stations { edges { node { name stats { onlineRate connectorsByStatus { status count } } } } } }',
      },
      {
        name: 'orders: newest 20 of 20,000 (orders subgraph, 1 SQL query)',
        query:
          '{ orders(first: 20) { edges { node { id state chargerCode connectorNo startedAt stoppedAt energy { kwh } amount { minor currency formatted } } } } }',
      },
      {
        name: 'order(id) (orders subgraph, 1 SQL query)',
        query: `{ order(id: "${oneOrder}") { id state startedAt energy { kwh } amount { minor formatted } } }`,
      },
    ].filter((sc) => !only || sc.name.startsWith(only));
    for (const sc of scenarios) {
      const result = await autocannon({
        url: stack.routerUrls[0],
        method: 'POST',
        connections,
        duration,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: sc.query }),
      });
      const l = result.latency;
      console.log(
        `${sc.name}\n  ${result.requests.average.toFixed(0)} req/s, ${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} errors` +
          `\n  latency ms: p50 ${l.p50} p90 ${l.p90} p99 ${l.p99} max ${l.max} (connections ${connections}, ${duration}s)`,
      );
    }
  } finally {
    await stack.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  }
}

function superuserUrlFor(database: string): string {
  const url = new URL(PG_SUPERUSER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function stackOrderIds(database: string, tenantId: string): Promise<string[]> {
  const k = createKnex({ connectionString: superuserUrlFor(database), schema: 'orders', pool: { max: 1 } });
  try {
    return (await k('orders.orders').where('tenant_id', tenantId).orderBy('started_at', 'desc').limit(1).select('id')).map((r: { id: string }) => r.id);
  } finally {
    await k.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
