import { randomUUID } from 'node:crypto';
import { createKnex, dropDatabase } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { mintClientToken } from '../keys';
import { startStack } from '../stack';

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
 *   node ops/dev/dist/src/bench/session-starts.js [--duration 10] [--concurrency 50] [--chargers 3000]
 *
 * Prints starts/s and latency percentiles. Record results in docs/benchmarks.md.
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const START = 'mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id state } userErrors { code message } } }';

async function main(): Promise<void> {
  const duration = arg('duration', 10);
  const concurrency = arg('concurrency', 50);
  const chargerCount = arg('chargers', 3000);
  const database = uniqueName('evcs_bench');
  const stack = await startStack({ database, kafkaNamespace: uniqueName('bench'), ports: 'ephemeral', quiet: true });
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
    } finally {
      await k.destroy();
    }
    const token = await mintClientToken(stack.keys, {
      subject: randomUUID(),
      tenantId,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['station:read', 'order:read', 'order:write'],
    });

    const latencies: number[] = [];
    let refused = 0;
    let next = 0;
    const deadline = Date.now() + duration * 1000;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < deadline && next < connectors.length) {
          const c = connectors[next++];
          const started = performance.now();
          const res = await fetch(stack.routerUrls[0], {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: START, variables: { i: { ...c, idempotencyKey: `bench-${randomUUID()}` } } }),
          });
          const body = (await res.json()) as { data?: { startCharging: { order: { state: string } | null; userErrors: unknown[] } }; errors?: unknown[] };
          latencies.push(performance.now() - started);
          if (!body.data?.startCharging.order || body.data.startCharging.userErrors.length) {
            if (refused++ < 3) console.error('not started:', JSON.stringify(body));
          }
        }
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
    console.log(
      `startCharging through the router: ${((latencies.length - refused) / seconds).toFixed(0)} starts/s, ${latencies.length} requests in ${seconds.toFixed(1)} s, ${refused} not started` +
        `\n  latency ms: p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${latencies[latencies.length - 1].toFixed(1)} (concurrency ${concurrency})`,
    );
  } finally {
    await stack.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
