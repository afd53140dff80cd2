import { randomUUID } from 'node:crypto';
import { createKnex, formatMoney, money, type Knex } from '@evcs/platform';
import { createReconciliationService, migrations } from '@evcs/orders';
import type { Bill, Pricer, PricingRequest } from '@evcs/orders/dist/src/domain/ports';
import { createTestDatabase } from '@evcs/testkit';

/**
 * The daily reconciliation of one tenant's day of N orders (default
 * 10,000,000), as the nightly job runs it: claim the run, stream the day's
 * orders in keyset batches (re-pricing each billed one), then the chargers'
 * own records of the day, saving discrepancies with each batch's checkpoint.
 *
 *   node ops/dev/dist/src/bench/reconciliation.js [--orders 10000000] [--batch 1000]
 *
 * Seeding is SQL only (generate_series into a fresh database; the orders
 * table's secondary indexes are dropped for the load and rebuilt from their
 * own definitions, as a restore would). The run is timed alone; RSS of this
 * process is sampled every 100 ms during it. Re-pricing uses an in-process
 * per-kWh pricer (the tariffs service's HTTP round trip is not part of this
 * figure: bench:router and the pricing tests cover that path).
 *
 * Record results in docs/benchmarks.md.
 */
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

/** 1 fen per 10 Wh, like the reconciliation tests' pricer: cheap, deterministic, no I/O. */
class PerKwhPricer implements Pricer {
  calls = 0;
  async price(req: PricingRequest): Promise<Bill> {
    this.calls++;
    const total = money(Math.round(req.energyWh / 10), 'CNY');
    return {
      currency: 'CNY',
      planId: 'bench',
      source: 'TENANT',
      planVersions: [1],
      timezone: 'Asia/Shanghai',
      electricityAmount: total,
      serviceAmount: money(0, 'CNY'),
      totalExact: formatMoney(total),
      total,
      items: [],
    };
  }
}

const DATE = '2026-11-20';
const TZ = 'Asia/Shanghai';
// 2026-11-20 00:00 in Shanghai
const DAY_START = '2026-11-19T16:00:00Z';

async function seed(owner: Knex, tenantId: string, total: number): Promise<void> {
  const indexes = (
    await owner.raw(
      `select indexname, indexdef from pg_indexes
        where schemaname = 'orders' and tablename = 'orders' and indexname <> 'orders_pkey'`,
    )
  ).rows as { indexname: string; indexdef: string }[];
  for (const ix of indexes) await owner.raw(`drop index orders.${ix.indexname}`);
  // Spread over the day (86,400 s); states and amounts chosen so that about 1 % of the orders
  // are discrepancies of some kind, like a bad day: amount ≠ re-priced, still running, unpaid.
  const chunk = 1_000_000;
  for (let from = 1; from <= total; from += chunk) {
    const to = Math.min(total, from + chunk - 1);
    await owner.raw(
      `insert into orders.orders (tenant_id, station_id, charger_id, charger_code, connector_no, origin, transaction_id, state,
                                  started_at, stopped_at, meter_start_wh, meter_stop_wh, energy_wh, amount, bill, created_at)
       select :tenant::uuid, md5('station' || (g % 200))::uuid, md5('charger' || (g % 2000))::uuid, 'CP-' || (g % 2000), 1 + (g % 2), 'CHARGER', g::text,
              case when g % 1000 = 0 then 'CHARGING' else 'PAID' end,
              :day::timestamptz + (g::double precision * 86399 / :total) * interval '1 second',
              case when g % 1000 = 0 then null else :day::timestamptz + (g::double precision * 86399 / :total) * interval '1 second' + interval '40 minutes' end,
              0, 15000 + g % 20000, 15000 + g % 20000,
              -- re-priced at 1 fen per 10 Wh; every 250th differs by 1 fen
              ((15000 + g % 20000) / 1000.0 + case when g % 250 = 0 then 0.01 else 0 end)::numeric(14,2),
              '{"total":{"minor":0,"currency":"CNY"},"items":[]}'::jsonb,
              :day::timestamptz
         from generate_series(:from::bigint, :to::bigint) g`,
      { tenant: tenantId, day: DAY_START, total, from, to },
    );
  }
  // The chargers' own records of the day: one per 10 orders, every 100th with other energy, and
  // one in a thousand past the last order (a transaction no order knows).
  await owner.raw(
    `insert into orders.charger_records (tenant_id, charger_code, transaction_id, started_at, ended_at, energy_wh, amount)
     select :tenant::uuid, 'CP-' || (g % 2000), g::text,
            :day::timestamptz + (g::double precision * 86000 / :last) * interval '1 second',
            :day::timestamptz + (g::double precision * 86000 / :last) * interval '1 second' + interval '5 minutes',
            15000 + g % 20000 + case when g % 1000 = 0 then 500 else 0 end,
            ((15000 + g % 20000) / 1000.0)::numeric(14,4)
       from generate_series(10, :last::bigint, 10) g`,
    { tenant: tenantId, day: DAY_START, last: total + Math.floor(total / 1000) },
  );
  for (const ix of indexes) await owner.raw(ix.indexdef);
  await owner.raw('analyze orders.orders');
  await owner.raw('analyze orders.charger_records');
}

async function main(): Promise<void> {
  const total = arg('orders', 10_000_000);
  const batchSize = arg('batch', 1000);
  const db = await createTestDatabase([migrations]);
  const owner = createKnex({ connectionString: db.ownerUrl, schema: 'orders', pool: { max: 1 } });
  const app = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 4 } });
  try {
    const tenantId = randomUUID();
    const t0 = Date.now();
    await seed(owner, tenantId, total);
    const seedSeconds = (Date.now() - t0) / 1000;
    console.log(`seeded ${total.toLocaleString()} orders (+ ${Math.floor(total / 10).toLocaleString()} charger records) in ${seedSeconds.toFixed(1)} s`);

    const pricer = new PerKwhPricer();
    // "now" is three days after the day: the unpaid deadline (72 h) has passed for nobody who paid
    const recon = createReconciliationService({ knex: app, pricer, clock: { now: () => new Date('2026-11-23T12:00:00Z') } }, { batchSize });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    let peakHeap = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 100);
    const step = Math.max(batchSize, Math.floor(total / 10 / batchSize) * batchSize);
    let nextReport = step;
    const mib = (b: number) => (b / 1048576).toFixed(0);
    const started = Date.now();
    const run = await recon.run(tenantId, DATE, TZ, {
      afterBatch: async (processed) => {
        if (processed < nextReport) return;
        nextReport += step;
        const s = (Date.now() - started) / 1000;
        console.log(`  ${processed.toLocaleString()} rows, ${s.toFixed(0)} s, ${(processed / s).toFixed(0)} rows/s, rss ${mib(process.memoryUsage().rss)} MiB`);
      },
    });
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    if (run === 'busy') throw new Error('the run was busy');
    const rows = run.processed;
    console.log(
      `reconciled ${rows.toLocaleString()} rows (${total.toLocaleString()} orders + charger records) in ${seconds.toFixed(1)} s: ` +
        `${(rows / seconds).toFixed(0)} rows/s; ${run.discrepancies.toLocaleString()} discrepancies; ${pricer.calls.toLocaleString()} re-pricings` +
        `\n  rss before ${mib(rssBefore)} MiB, peak ${mib(peak)} MiB (limit 256 MiB); peak V8 heap used ${mib(peakHeap)} MiB; state ${run.state}, batch ${batchSize}`,
    );
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
