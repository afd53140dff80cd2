import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { decodeJwt } from 'jose';
import { createKnex, dropDatabase, importSigningKey, TokenIssuer, type DataScope, type Identity } from '@evcs/platform';
import { PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { freePort, startStack, type Stack } from '../stack';

/**
 * Benchmark: authenticated GraphQL queries through the router (router → assets
 * or orders → Postgres with RLS), the whole platform running as real processes,
 * and in the same run the limit and the peers, each in its own process:
 *   - the subgraph alone (the same query sent to it directly, with a router-signed internal token),
 *   - stock Hive Gateway and stock Apollo Gateway over the same supergraph and subgraphs
 *     (peer-gateway.ts; they forward a pre-signed internal token of the same identity).
 *
 *   node ops/dev/dist/src/bench/router-queries.js [--duration 10] [--connections 50] [--only orders]
 *        [--targets subgraph,router,hive,apollo] [--no-dedupe]
 *
 * --no-dedupe starts our router with ROUTER_DEDUPE_INFLIGHT=false (no shared in-flight fetches;
 * Hive Gateway de-duplicates identical in-flight subgraph requests by default, stock Apollo Gateway
 * does not).
 *
 * Prints per scenario and target: req/s, p50/p99, CPU per request of the gateway
 * process and of the subgraph process, the load average, and the ratios.
 * Record results in docs/benchmarks.md.
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function main(): Promise<void> {
  const duration = arg('duration', 10);
  const targetsAt = process.argv.indexOf('--targets');
  const targets = (targetsAt > 0 ? process.argv[targetsAt + 1] : 'subgraph,router,hive,apollo').split(',');
  const connections = arg('connections', 50);
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
  const database = uniqueName('evcs_bench');
  const dedupe = !process.argv.includes('--no-dedupe');
  const stack = await startStack({
    database,
    kafkaNamespace: uniqueName('bench'),
    ports: 'ephemeral',
    quiet: true,
    env: { ROUTER_DEDUPE_INFLIGHT: String(dedupe) },
  });
  console.log(
    `router: in-flight de-duplication ${dedupe ? 'on' : 'off'}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ${os.cpus().length} CPUs`,
  );
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
      {
        name: 'stations (1 subgraph fetch, 1 SQL query)',
        subgraph: 'assets',
        query: /* GraphQL */ `query BenchStations { stations { edges { node { id name status } } } }`,
      },
      {
        name: 'stations → chargers → connectors (3 batched SQL queries)',
        subgraph: 'assets',
        query: /* GraphQL */ `query BenchStationsChargersConnectors { stations { edges { node { name chargers { code online connectors { connectorNo status } } } } } }`,
      },
      {
        name: 'stations with stats (3 SQL queries: page + 2 grouped aggregates)',
        subgraph: 'assets',
        query: /* GraphQL */ `query BenchStationsStats { stations { edges { node { name stats { onlineRate connectorsByStatus { status count } } } } } }`,
      },
      {
        name: 'orders: newest 20 of 20,000 (orders subgraph, 1 SQL query)',
        subgraph: 'orders',
        query: /* GraphQL */ `query BenchNewestOrders { orders(first: 20) { edges { node { id state chargerCode connectorNo startedAt stoppedAt energy { kwh } amount { minor currency formatted } } } } }`,
      },
      {
        name: 'order(id) (orders subgraph, 1 SQL query)',
        subgraph: 'orders',
        query: /* GraphQL */ `query BenchOrder($id: ID!) { order(id: $id) { id state startedAt energy { kwh } amount { minor formatted } } }`,
        variables: { id: oneOrder },
      },
    ].filter((sc) => !only || sc.name.startsWith(only));
    // What the router would send: the client token's identity in a router-signed internal token
    // (pre-signed once, for an hour): the subgraph alone and the peers get it as a fixed header.
    const internal = `Bearer ${await internalTokenFor(stack, token)}`;
    const peers = await startPeers(stack, internal, targets);
    const gatewayUrl: Record<string, string> = { router: stack.routerUrls[0], ...peers };
    const expected: Record<string, { data?: unknown }> = {};
    for (const sc of scenarios) {
      console.log(`\n${sc.name}`);
      const results: Record<string, { rps: number; p50: number; p99: number }> = {};
      for (const target of targets) {
        const direct = target === 'subgraph';
        const url = direct ? stack.subgraphUrls[sc.subgraph as 'assets' | 'orders'] : gatewayUrl[target];
        const authorization = direct ? internal : `Bearer ${token}`;
        const opts = {
          url,
          method: 'POST' as const,
          connections,
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ query: sc.query, variables: sc.variables }),
        };
        // The same answer as the subgraph's own, or the comparison means nothing.
        const answer = (await fetch(url, { method: 'POST', headers: opts.headers, body: opts.body }).then((r) => r.json())) as { data?: unknown };
        expected[sc.name] ??= answer;
        if (!isDeepStrictEqual(answer.data, expected[sc.name].data) || answer.data == null) {
          console.log(`  ${target}: ANSWER DIFFERS: ${JSON.stringify(answer).slice(0, 300)}`);
        }
        await autocannon({ ...opts, duration: 2 }); // warm-up: JIT, connection pools, plan caches
        const gatewayPid = direct ? undefined : stack.processes.pid(target);
        const subgraphPid = stack.processes.pid(sc.subgraph);
        const cpu0 = [cpuMs(gatewayPid), cpuMs(subgraphPid)];
        const load0 = os.loadavg()[0];
        const r = await autocannon({ ...opts, duration });
        const cpu1 = [cpuMs(gatewayPid), cpuMs(subgraphPid)];
        const n = Math.max(1, r.requests.total);
        const per = (i: number) => (gatewayPid === undefined && i === 0 ? '-' : (((cpu1[i] - cpu0[i]) / n) * 1000).toFixed(0));
        results[target] = { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
        const bad = r.non2xx + r.errors > 0 ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : '';
        console.log(
          `  ${target.padEnd(8)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  ` +
            `CPU/request: gateway ${per(0)} µs, ${sc.subgraph} ${per(1)} µs  (load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}${bad})`,
        );
      }
      const ours = results.router?.rps;
      if (ours) {
        const ratios = Object.entries(results)
          .filter(([t]) => t !== 'router')
          .map(([t, x]) => `router/${t} ${(ours / x.rps).toFixed(2)}`);
        console.log(`  ratios: ${ratios.join(', ')}  (connections ${connections}, ${duration}s each)`);
      }
    }
  } finally {
    await stack.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  }
}

/** CPU time (user + system) of a process so far, ms; 0 when unknown. */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // /proc/<pid>/stat: fields 14 and 15 are utime and stime in clock ticks (USER_HZ, 100 on Linux)
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The internal token the router would sign for this client token's identity, valid for an hour. */
async function internalTokenFor(stack: Stack, clientToken: string): Promise<string> {
  const c = decodeJwt(clientToken) as Record<string, unknown>;
  const identity: Identity = {
    subject: String(c.sub),
    kind: 'user',
    tenantId: typeof c.tid === 'string' ? c.tid : null,
    roles: (c.roles as string[] | undefined) ?? [],
    permissions: (c.perms as string[] | undefined) ?? [],
    ...(typeof c.ds === 'string' ? { dataScope: c.ds as DataScope } : {}),
    ...(Array.isArray(c.vt) ? { visibleTenantIds: c.vt as string[] } : {}),
    ...(Array.isArray(c.st) ? { stationIds: c.st as string[] } : {}),
  };
  const issuer = new TokenIssuer(await importSigningKey(readFileSync(stack.keys.routerKeyFile, 'utf8')), 'evcs-router', undefined, 3600);
  return issuer.issue(identity);
}

/** The peers asked for, each its own process in the stack's group (stopped with it): name → /graphql URL. */
async function startPeers(stack: Stack, authorization: string, targets: readonly string[]): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const peer of targets.filter((t) => t === 'hive' || t === 'apollo')) {
    const port = await freePort();
    await stack.processes.start({
      name: peer,
      script: path.join(__dirname, 'peer-gateway.js'),
      env: {
        PEER: peer,
        PORT: String(port),
        NODE_ENV: 'production',
        SUPERGRAPH_PATH: path.join(REPO_ROOT, 'schema/supergraph.graphql'),
        PEER_AUTHORIZATION: authorization,
        ...Object.fromEntries(Object.entries(stack.subgraphUrls).map(([n, u]) => [`SUBGRAPH_URL_${n.toUpperCase()}`, u])),
      },
      readyUrl: `http://127.0.0.1:${port}/health/ready`,
    });
    urls[peer] = `http://127.0.0.1:${port}/graphql`;
  }
  return urls;
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
