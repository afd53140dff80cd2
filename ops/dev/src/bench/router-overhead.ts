import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dropDatabase, importSigningKey, TokenIssuer } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { startStack } from '../stack';

/**
 * Where does a query's time go: the same `stations` query against the assets
 * subgraph directly (a router-signed internal token) and through the router.
 *
 *   node ops/dev/dist/src/bench/router-overhead.js [connections=50]
 */
async function main(): Promise<void> {
  const database = uniqueName('evcs_probe');
  const stack = await startStack({ database, kafkaNamespace: uniqueName('probe'), ports: 'ephemeral', quiet: true });
  try {
    const tenantId = randomUUID();
    await stack.seedTenant({
      id: tenantId,
      code: 'probe',
      name: 'Probe',
      stations: [1, 2, 3, 4, 5].map((s) => ({ code: `P-${s}`, name: `P ${s}`, chargers: [1, 2, 3, 4].map((c) => ({ code: `PR-${s}-${c}`, connectors: 2 })) })),
    });
    const router = new TokenIssuer(await importSigningKey(readFileSync(stack.keys.routerKeyFile, 'utf8')), 'evcs-router', undefined, 3600);
    const internal = await router.issue({
      subject: 'u',
      kind: 'user',
      tenantId,
      roles: [],
      permissions: ['station:read'],
      dataScope: 'TENANT',
      visibleTenantIds: [tenantId],
    });
    const client = await stack.tokenFor(tenantId);
    const q = JSON.stringify({ query: /* GraphQL */ `query BenchOverheadStations { stations { edges { node { id name status } } } }` });
    for (const [name, url, token] of [
      ['assets direct', stack.subgraphUrls.assets, internal],
      ['through router', stack.routerUrls[0], client],
    ] as const) {
      const r = await autocannon({
        url,
        method: 'POST',
        connections: Number(process.argv[2] ?? 50),
        duration: 8,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: q,
      });
      console.log(`${name}: ${r.requests.average.toFixed(0)} req/s p50 ${r.latency.p50} p99 ${r.latency.p99} non2xx ${r.non2xx}`);
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
