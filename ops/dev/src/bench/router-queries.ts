import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { dropDatabase } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { startStack } from '../stack';

/**
 * Benchmark: authenticated GraphQL queries through the router (router → assets
 * → Postgres with RLS), the whole platform running as real processes.
 *
 *   node ops/dev/dist/src/bench/router-queries.js [--duration 20] [--connections 50]
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
    const token = await stack.tokenFor(tenantId);
    const scenarios = [
      { name: 'stations (1 subgraph fetch, 1 SQL query)', query: '{ stations { edges { node { id name status } } } }' },
      {
        name: 'stations → chargers → connectors (3 batched SQL queries)',
        query: '{ stations { edges { node { name chargers { code online connectors { connectorNo status } } } } } }',
      },
      { name: 'stations with stats (3 SQL queries: page + 2 grouped aggregates)', query: '{ stations { edges { node { name stats { onlineRate connectorsByStatus { status count } } } } } }' },
    ];
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

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
