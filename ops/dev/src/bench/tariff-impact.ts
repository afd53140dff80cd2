import { randomUUID } from 'node:crypto';
import {
  createKnex,
  createLogger,
  generateSigningKey,
  internalTokenVerifier,
  issuerBoundJwks,
  listen,
  ReadScope,
  ServiceGraphQLClient,
  TokenIssuer,
} from '@evcs/platform';
import { createOrdersServer, migrations as ordersMigrations } from '@evcs/orders';
import { OrdersReadRepository } from '@evcs/orders/dist/src/persistence/read-repository';
import { createTariffsServer, migrations as tariffsMigrations, OrdersCompletedSessions } from '@evcs/tariffs';
import { createTestDatabase } from '@evcs/testkit';

/**
 * tariffImpact over a busy station's 30 days: by default 30,000 completed sessions (20
 * chargers × 50 sessions a day), each with 6 meter readings (start, 4 inside, stop). Real
 * orders and tariffs subgraphs in this process, real HTTP between them and from the caller.
 *
 * The limit, measured in the same run: the plain SQL scan of the same sessions — the same
 * keyset pages, readings included, read by orders' read repository with nothing priced and
 * nothing sent. The ratio says what HTTP, JSON and pricing add to reading the rows.
 *
 *   node ops/dev/dist/src/bench/tariff-impact.js [--sessions 30000] [--readings 4] [--runs 3]
 *
 * Prints time, sessions/s and the process's peak RSS (sampled every 10 ms during each run,
 * and the OS's high-water mark). Record results in docs/benchmarks.md.
 */
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Run `fn`, sampling RSS every 10 ms: its wall time and the highest RSS seen. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const t0 = process.hrtime.bigint();
  try {
    const value = await fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { value, ms, peakRss: Math.max(peak, process.memoryUsage.rss()) };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const sessions = arg('sessions', 30_000);
  const inside = arg('readings', 4);
  const runs = arg('runs', 3);
  const db = await createTestDatabase([ordersMigrations, tariffsMigrations]);
  const owner = createKnex({ connectionString: db.ownerUrl, schema: 'orders', pool: { max: 1 } });
  const ordersKnex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
  const tariffsKnex = createKnex({ connectionString: db.appUrl, schema: 'tariffs', pool: { max: 2 } });
  const T = randomUUID();
  const S = randomUUID();
  const to = new Date(Math.floor(Date.now() / 3600_000) * 3600_000);
  const from = new Date(to.getTime() - 30 * 86_400_000);
  try {
    const t0 = Date.now();
    // sessions spread evenly over the 30 days, 40 minutes each, 15–35 kWh, billed at 1.20/kWh
    await owner.raw(
      `insert into orders.orders (tenant_id, station_id, charger_id, charger_code, connector_no, origin, transaction_id, state,
                                  started_at, stopped_at, meter_start_wh, meter_stop_wh, energy_wh, amount)
       select ?::uuid, ?::uuid, md5('charger' || (g % 20))::uuid, 'CP-' || (g % 20), 1, 'CHARGER', g::text,
              case when g % 7 = 0 then 'COMPLETED' else 'PAID' end,
              ?::timestamptz + (g - 1) * (interval '30 days' / ?), ?::timestamptz + (g - 1) * (interval '30 days' / ?) + interval '40 minutes',
              0, 15000 + g % 20000, 15000 + g % 20000, ((15000 + g % 20000) / 1000.0 * 1.2)::numeric(14,2)
         from generate_series(1, ?) g`,
      [T, S, from, sessions, from, sessions, sessions],
    );
    await owner.raw(
      `insert into orders.meter_readings (tenant_id, order_id, at, register_wh)
       select o.tenant_id, o.id, o.started_at + k * (o.stopped_at - o.started_at) / ?, o.meter_stop_wh * k / ?
         from orders.orders o cross join generate_series(0, ?) k`,
      [inside + 1, inside + 1, inside + 1],
    );
    await owner.raw('analyze orders.orders; analyze orders.meter_readings');
    console.log(`loaded ${sessions.toLocaleString()} sessions with ${inside + 2} readings each in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const routerKey = await generateSigningKey('router-k');
    const tariffsKey = await generateSigningKey('tariffs-k');
    const verifier = internalTokenVerifier(issuerBoundJwks({ 'evcs-router': [routerKey.publicJwk], 'evcs-tariffs': [tariffsKey.publicJwk] }));
    const logger = createLogger('bench', { level: 'warn' });
    const orders = await createOrdersServer({
      knex: ordersKnex,
      verifier,
      logger,
      pricer: { price: async () => Promise.reject(new Error('not used')) },
      chargers: { byId: async () => null, byCode: async () => null },
    });
    const ordersUrl = `http://127.0.0.1:${await listen(orders.server, 0)}/graphql`;
    const client = new ServiceGraphQLClient({ url: ordersUrl, tokens: new TokenIssuer(tariffsKey, 'evcs-tariffs'), subject: 'tariffs', timeoutMs: 15_000 });
    const tariffs = await createTariffsServer({ knex: tariffsKnex, verifier, logger, sessions: new OrdersCompletedSessions(client) });
    const tariffsUrl = `http://127.0.0.1:${await listen(tariffs.server, 0)}/graphql`;
    const token = await new TokenIssuer(routerKey, 'evcs-router').issue({
      subject: 'bench',
      kind: 'user',
      tenantId: T,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['tariff:write'],
      dataScope: 'TENANT',
    });
    const impact = async (): Promise<number> => {
      const res = await fetch(tariffsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: /* GraphQL */ `query BenchTariffImpact($i: TariffImpactInput!) { tariffImpact(input: $i) { impact { total { sessions difference { formatted } } hours { hour difference { minor } } } userErrors { message } } }`,
          variables: {
            i: {
              stationId: S,
              from: from.toISOString(),
              to: to.toISOString(),
              segments: [
                { start: '00:00', end: '08:00', energyPrice: '0.3500', serviceFee: '0.4000' },
                { start: '08:00', end: '18:00', energyPrice: '1.0500', serviceFee: '0.6000' },
                { start: '18:00', end: '22:00', energyPrice: '1.2500', serviceFee: '0.6000' },
                { start: '22:00', end: '24:00', energyPrice: '0.6800', serviceFee: '0.4000' },
              ],
            },
          },
        }),
      });
      const body = (await res.json()) as {
        data?: { tariffImpact: { impact: { total: { sessions: number } } | null; userErrors: unknown[] } };
        errors?: unknown;
      };
      const i = body.data?.tariffImpact.impact;
      if (!i) throw new Error(`tariffImpact failed: ${JSON.stringify(body.errors ?? body.data?.tariffImpact.userErrors)}`);
      return i.total.sessions;
    };
    const repo = new OrdersReadRepository(ordersKnex);
    const scope: ReadScope = { scope: 'TENANT', tenantId: T, tenantIds: [T], stationIds: null, selfSubject: null };
    // the same pages (1000 a page, the tariffs default) read and mapped, nothing else
    const scan = async (): Promise<number> => {
      let n = 0;
      let after: { at: string; id: string } | null = null;
      for (;;) {
        const page = await repo.completedSessions(scope, S, { from, to }, { direction: 'forward', size: 1000, cursor: after });
        const rows = page.slice(0, 1000);
        n += rows.length;
        if (page.length <= 1000) return n;
        const last = rows[rows.length - 1].order;
        after = { at: last.startedAt!.toISOString(), id: last.id };
      }
    };

    await scan();
    await impact(); // warm-up: JIT, pools, plan caches
    const baseline = process.memoryUsage.rss();
    console.log(`\nRSS before the runs ${mb(baseline)}\n`);
    console.log('run   sql scan ms   impact ms   sessions/s (impact)   ratio   peak RSS (impact)');
    const ratios: number[] = [];
    for (let r = 1; r <= runs; r++) {
      const s = await measured(scan);
      const i = await measured(impact);
      if (s.value !== sessions || i.value !== sessions) throw new Error(`expected ${sessions} sessions, scan saw ${s.value}, impact ${i.value}`);
      ratios.push(i.ms / s.ms);
      console.log(
        `${String(r).padEnd(6)}${s.ms.toFixed(0).padStart(11)}${i.ms.toFixed(0).padStart(12)}${Math.round(sessions / (i.ms / 1000))
          .toLocaleString()
          .padStart(22)}${(i.ms / s.ms).toFixed(1).padStart(8)}${mb(i.peakRss).padStart(20)}`,
      );
    }
    console.log(`\nprocess max RSS (OS high-water mark, both subgraphs and the caller) ${mb(process.resourceUsage().maxRSS * 1024)}`);
    console.log(`median ratio impact / plain SQL scan: ${ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)].toFixed(1)}`);
    await tariffs.stop();
    await orders.stop();
  } finally {
    await owner.destroy();
    await ordersKnex.destroy();
    await tariffsKnex.destroy();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
