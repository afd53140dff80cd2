import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createKnex, dropDatabase } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { mintClientToken } from '../keys';
import { startStack } from '../stack';
import { Client } from 'pg';
import { formatBreakdowns, startBreakdowns, startTraceReceiver } from './start-traces';
import { CpuAccount, eventLoopLag, kafkaBrokerPid, loadAverage, PgActivitySampler, pgbenchLimit } from './limits';
import { jsonPoster } from './post-json';

/**
 * Benchmark: `startCharging` through the router, the whole platform running as
 * real processes. A start is the API's part of a session start: the charger
 * looked up in assets (service call), the order inserted PENDING under a
 * connector lock with its idempotency key, and the start command put in the
 * outbox — which the relay then publishes to Kafka for the bridge (the chargers
 * are not connected here, so the bridge answers CHARGER_OFFLINE and orders marks
 * those orders FAILED: that background work runs during the measurement too).
 *
 * Every start uses its own connector, so each one is a real start, never a
 * CONNECTOR_BUSY answer; the run ends at --duration or when the connectors
 * are used up.
 *
 *   node ops/dev/dist/src/bench/session-starts.js [--duration 10] [--concurrency 50] [--chargers 3000] [--pg-clients 10] [--charger-source projection|assets] [--cpu-prof DIR] [--trace RATIO] [--service-env K=V ...]
 *
 * `--trace 0.05` traces that share of the starts (OpenTelemetry, exported to a receiver in this
 * process) and prints where their time went, phase by phase (start-traces.ts).
 *
 * Prints starts/s and latency percentiles, and beside them the limit measured in the same run:
 * pgbench running the SQL a start needs at the least (START_TX) with the same concurrency, and
 * the ratio. Record results in docs/benchmarks.md, with the load average printed.
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

/**
 * The start transaction at its minimum, as pgbench script: the tenant's transaction begun with
 * its settings (RLS), the connector's lock with the idempotency-key and active-order lookups
 * under it, all pipelined in one round trip; then the order, its first transition and the start
 * command (outbox) in one statement, and COMMIT, pipelined too — two round trips. The outbox row
 * is written already published, so the stack's relay leaves it alone: the limit is the start's
 * SQL, not the chain behind it. As the application role, under RLS. (pgbench takes any `:name` as
 * a variable, inside quotes too: the lock key is spelt with '/' where orders writes ':'.)
 */
const START_TX = `
\\set n random(1, 2000000000)
\\startpipeline
BEGIN;
SELECT set_config('app.tenant_id', :tenant::text, true), set_config('app.visible_tenant_ids', '', true);
SELECT pg_advisory_xact_lock(hashtextextended('orders/' || :tenant::text || '/PGB-' || :client_id::text || '-' || :n::text || '/1', 0));
SELECT * FROM orders.orders WHERE tenant_id = :tenant::uuid AND idempotency_key = 'pgb-' || :client_id::text || '-' || :n::text LIMIT 1;
SELECT * FROM orders.orders WHERE tenant_id = :tenant::uuid AND charger_code = 'PGB-' || :client_id::text || '-' || :n::text AND connector_no = 1
  AND state IN ('PENDING', 'CHARGING', 'FINISHING') ORDER BY created_at;
\\endpipeline
\\startpipeline
WITH o AS (
  INSERT INTO orders.orders (tenant_id, station_id, charger_id, charger_code, connector_no, id_tag, origin, state, idempotency_key, request_hash)
  VALUES (:tenant::uuid, gen_random_uuid(), gen_random_uuid(), 'PGB-' || :client_id::text || '-' || :n::text, 1, 'EV' || :n::text, 'API', 'PENDING',
    'pgb-' || :client_id::text || '-' || :n::text, md5(:n::text))
  ON CONFLICT DO NOTHING RETURNING *
), t AS (
  INSERT INTO orders.order_transitions (tenant_id, order_id, from_state, to_state, reason) SELECT tenant_id, id, NULL, state, 'REQUESTED' FROM o
), c AS (
  INSERT INTO orders.outbox (id, tenant_id, order_id, topic, key, payload, headers, published_at)
  SELECT gen_random_uuid(), tenant_id, id, 'pgbench.commands', charger_code, jsonb_build_object('type', 'session.start', 'orderId', id, 'pad', repeat('x', 300)),
    '{"content-type":"application/json"}'::jsonb, now() FROM o
) SELECT * FROM o;
COMMIT;
\\endpipeline
`;

const START = /* GraphQL */ `mutation BenchStartCharging($i: StartChargingInput!) { startCharging(input: $i) { order { id state } userErrors { code message } } }`;

async function main(): Promise<void> {
  const duration = arg('duration', 10);
  const concurrency = arg('concurrency', 50);
  const chargerCount = arg('chargers', 3000);
  const pgClients = arg('pg-clients', 10);
  // `--charger-source assets`: a service call per start, as before orders' charger projection (for comparing)
  const i = process.argv.indexOf('--charger-source');
  const chargerSource = i > 0 ? process.argv[i + 1] : 'projection';
  // `--cpu-prof DIR`: every service writes a V8 CPU profile of the measured window there (cpu-profile-preload.ts)
  const p = process.argv.indexOf('--cpu-prof');
  const profileDir = p > 0 ? path.resolve(process.argv[p + 1]) : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  // `--service-env K=V` (repeatable): set in every service's environment, for A/B runs (e.g. DB_POOL_MAX=30)
  const serviceEnv = Object.fromEntries(
    process.argv.flatMap((a, i) =>
      process.argv[i - 1] === '--service-env' && /^[A-Z_][A-Z0-9_]*=/.test(a) ? [[a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]] : [],
    ),
  );
  const traceRatio = arg('trace', 0);
  const traces = traceRatio > 0 ? await startTraceReceiver() : null;
  const database = uniqueName('evcs_bench');
  const stack = await startStack({
    database,
    kafkaNamespace: uniqueName('bench'),
    ports: 'ephemeral',
    quiet: true,
    env: {
      ORDERS_CHARGER_SOURCE: chargerSource,
      ...serviceEnv,
      ...(profileDir ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile-preload.js')}`, EVCS_CPU_PROFILE_DIR: profileDir } : {}),
      // sampled at the router, the subgraphs following its decision; exported soon after
      ...(traces
        ? {
            OTEL_EXPORTER_OTLP_ENDPOINT: traces.url,
            OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
            OTEL_TRACES_SAMPLER_ARG: String(traceRatio),
            OTEL_BSP_SCHEDULE_DELAY: '200',
          }
        : {}),
    },
  });
  console.log(`charger source: ${chargerSource}; service env ${JSON.stringify(serviceEnv)}; load average at start ${loadAverage()}`);
  try {
    const tenantId = randomUUID();
    const perStation = 50;
    await stack.seedTenant({
      id: tenantId,
      code: 'bench',
      name: 'Bench operator',
      stations: Array.from({ length: Math.ceil(chargerCount / perStation) }, (_, s) => ({
        code: `BENCH-ST-${s}`,
        name: `Bench station ${s}`,
        chargers: Array.from({ length: perStation }, (__, c) => ({ code: `BENCH-${s}-${c}`, connectors: 2 })),
      })),
    });
    const url = new URL(PG_SUPERUSER_URL);
    url.pathname = `/${database}`;
    const k = createKnex({ connectionString: url.toString(), schema: 'assets', pool: { max: 1 } });
    const connectors: { chargerId: string; connectorNo: number }[] = [];
    try {
      for (const r of (await k('assets.chargers').where('tenant_id', tenantId).select('id')) as { id: string }[]) {
        connectors.push({ chargerId: r.id, connectorNo: 1 }, { chargerId: r.id, connectorNo: 2 });
      }
      // The chargers reach orders' projection through asset events (outbox → Kafka → consumer):
      // measured once they are all there, so the starts read the projection, as they do in
      // steady state. How long the projection took is printed (the fallback covers the gap).
      const projected = Date.now();
      for (;;) {
        const [{ n }] = (await k('orders.charger_projection').where('tenant_id', tenantId).count({ n: '*' })) as { n: string }[];
        if (Number(n) >= connectors.length / 2 || Date.now() - projected > 120_000) {
          console.log(`projection: ${n} of ${connectors.length / 2} chargers in orders ${((Date.now() - projected) / 1000).toFixed(1)} s after seeding`);
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await k.destroy();
    }
    const token = await mintClientToken(stack.keys, {
      subject: randomUUID(),
      tenantId,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['station:read', 'order:read', 'order:write'],
    });

    const cpu = new CpuAccount(async () => {
      const groups = new Map<string, number[]>();
      for (const name of stack.processes.names()) {
        const pid = stack.processes.pid(name);
        if (pid) groups.set(name, [pid]);
      }
      groups.set('postgres (backends of this database)', await backendPids(database));
      const broker = await kafkaBrokerPid();
      if (broker) groups.set('kafka (broker, shared)', [broker]);
      return groups;
    });
    await cpu.sampleIdle(3000);
    await cpu.sample();
    const activityClient = new Client({ connectionString: PG_SUPERUSER_URL });
    await activityClient.connect();
    const activity = new PgActivitySampler(activityClient, database);
    activity.start();
    const profileSignal = () => {
      if (!profileDir) return;
      for (const name of stack.processes.names()) {
        const pid = stack.processes.pid(name);
        if (pid) process.kill(pid, 'SIGUSR2');
      }
    };
    profileSignal();
    const latencies: number[] = [];
    const poster = jsonPoster(stack.routerUrls[0], concurrency);
    let refused = 0;
    let next = 0;
    const deadline = Date.now() + duration * 1000;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < deadline && next < connectors.length) {
          const c = connectors[next++];
          const started = performance.now();
          const body = (await poster.post(
            { authorization: `Bearer ${token}` },
            { query: START, variables: { i: { ...c, idempotencyKey: `bench-${randomUUID()}` } } },
          )) as { data?: { startCharging: { order: { state: string } | null; userErrors: unknown[] } }; errors?: unknown[] };
          latencies.push(performance.now() - started);
          if (!body.data?.startCharging.order || body.data.startCharging.userErrors.length) {
            if (refused++ < 3) console.error('not started:', JSON.stringify(body));
          }
        }
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    poster.close();
    profileSignal();
    const waits = await activity.stop();
    await activityClient.end();
    const loadAvgDuring = loadAverage();
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
    console.log(
      `startCharging through the router: ${((latencies.length - refused) / seconds).toFixed(0)} starts/s, ${latencies.length} requests in ${seconds.toFixed(1)} s, ${refused} not started` +
        `\n  latency ms: p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${latencies[latencies.length - 1].toFixed(1)} (concurrency ${concurrency})` +
        `\n  load average during the run: ${loadAvgDuring}`,
    );
    const ours = (latencies.length - refused) / seconds;
    console.log(
      `  CPU per start, by process, less each one's idle rate (the relay's publish, the bridge's refusal and orders' FAILED included):\n${await cpu.report(latencies.length - refused, 'start')}`,
    );
    console.log(`  the database's connections during the run (mean of 50 ms samples):\n${waits}`);
    console.log(`  event-loop delay per service (whole life of the process):\n${await eventLoopLag(stack.metricsTargets)}`);
    if (traces) {
      // the batch processors export every 200 ms: a moment for the last sampled starts' spans
      await new Promise((r) => setTimeout(r, 1500));
      console.log(formatBreakdowns(startBreakdowns(traces.spans)));
    }
    const appUrl = new URL(stack.appDatabaseUrl);
    appUrl.searchParams.delete('options');
    // The same concurrency where the database sees it: the 50 requests in flight share the orders
    // API's pool (DB_POOL_MAX, 10), so 10 connections run start transactions at once.
    const limit = await pgbenchLimit({ url: appUrl.toString(), script: START_TX, clients: pgClients, seconds: duration, vars: { tenant: randomUUID() } });
    console.log(
      `limit, same run: pgbench, the start transaction's SQL (2 round trips, RLS, ${pgClients} connections = the orders API pool): ${limit.perSecond.toFixed(0)} tx/s, ` +
        `p50 ${limit.p50Ms.toFixed(1)} p99 ${limit.p99Ms.toFixed(1)} ms (load average ${loadAverage()})` +
        `\n  ratio ours / limit: ${(ours / limit.perSecond).toFixed(3)}`,
    );
  } finally {
    await stack.stop();
    await traces?.close();
    await dropDatabase(PG_SUPERUSER_URL, database);
  }
}

/** The server processes of the connections to `database` (this run's services and nothing else). */
async function backendPids(database: string): Promise<number[]> {
  const k = createKnex({ connectionString: PG_SUPERUSER_URL, schema: 'public', pool: { max: 1 } });
  try {
    const { rows } = await k.raw<{ rows: { pid: number }[] }>('select pid from pg_stat_activity where datname = ?', [database]);
    return rows.map((r) => r.pid);
  } finally {
    await k.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
