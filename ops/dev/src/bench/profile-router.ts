import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { dropDatabase } from '@evcs/platform';
import { eventually, PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { JWKS_PATH } from '@evcs/tenants';
import { freePort, startStack } from '../stack';

/**
 * A CPU profile of the router under load: the platform as usual, plus one more
 * router started with --cpu-prof, loaded with the `stations` query.
 *
 *   node ops/dev/dist/src/bench/profile-router.js <profile dir>
 */
async function main(): Promise<void> {
  const dir = process.argv[2] ?? '/tmp/router-profile';
  const database = uniqueName('evcs_prof');
  const kafkaNamespace = uniqueName('prof');
  const stack = await startStack({ database, kafkaNamespace, ports: 'ephemeral', quiet: true });
  try {
    const tenantId = randomUUID();
    await stack.seedTenant({
      id: tenantId,
      code: 'prof',
      name: 'Prof',
      stations: [1, 2, 3].map((s) => ({ code: `PF-${s}`, name: `PF ${s}`, chargers: [{ code: `PF-${s}-${tenantId.slice(0, 4)}`, connectors: 2 }] })),
    });
    const port = await freePort();
    const env = {
      ...process.env,
      PORT: String(port),
      // the stack's topics: charger events and revocations reach this router too
      KAFKA_NAMESPACE: kafkaNamespace,
      SUPERGRAPH_PATH: path.join(REPO_ROOT, 'schema/supergraph.graphql'),
      AUTH_JWKS_URL: stack.subgraphUrls.tenants.replace(/\/graphql$/, JWKS_PATH),
      ROUTER_SIGNING_KEY_FILE: stack.keys.routerKeyFile,
      INSTANCE_ID: `prof-${process.pid}`,
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(stack.subgraphUrls).map(([n, u]) => [`SUBGRAPH_URL_${n.toUpperCase()}`, u])),
    };
    const router = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(REPO_ROOT, 'router/dist/src/main.js')], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${url}/health/ready`)).ok, { timeoutMs: 30_000, what: 'profiled router ready' });
    const token = await stack.tokenFor(tenantId);
    const r = await autocannon({
      url: `${url}/graphql`,
      method: 'POST',
      connections: 50,
      duration: 8,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: /* GraphQL */ `query BenchProfileStations { stations { edges { node { id name status } } } }` }),
    });
    console.log(`profiled router: ${r.requests.average.toFixed(0)} req/s p50 ${r.latency.p50} p99 ${r.latency.p99} non2xx ${r.non2xx}`);
    router.kill('SIGINT');
    await new Promise((res) => router.once('exit', res));
    console.log(`profile in ${dir}`);
  } finally {
    await stack.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
