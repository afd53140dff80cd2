import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { CHARGER_EVENTS_PARTITIONS, CHARGER_EVENTS_TOPIC, ChargerEvent, encodeChargerEvent } from '@evcs/events';
import { createLogger, dropDatabase, KafkaEventBus, kafkaNames, withDatabase } from '@evcs/platform';
import { KAFKA_BROKERS, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { startStack } from '../stack';
import { kafkaLimit, loadAverage, PgActivitySampler, percentiles, pgbenchStatusUpsert } from './limits';

/**
 * Benchmark: charger events consumed by the platform. The whole stack runs as
 * real processes; N connector-status events of registered chargers are
 * published to the stack's charger-events topic (as the bridge would), and the
 * consumer groups are watched until they have committed past all of them:
 * assets applies each one (status + history in Postgres), orders reads each
 * one (status changes are not its business, so this is its floor).
 *
 *   node ops/dev/dist/src/bench/ingest.js [--events 20000] [--chargers 500]
 *
 * Then a second phase of whole sessions started at the chargers: per session a
 * session.started, ten meter values and a session.stopped — orders creates the
 * order, keeps the readings, and at stop prices it with the tariffs service.
 *
 *   [--sessions 1000]  (0 skips the phase)  [--charger-source projection|assets]
 *
 * Prints events/s per consumer group (first event published → last offset committed), and
 * the limits measured in the same run: kafkajs alone producing and consuming the same
 * messages, and pgbench running the minimal status upsert (one statement per status, on 6
 * connections like the consumer's 6 partitions at a time) — with the ratio to each.
 *
 * Then the status changes paced at `--rate` events/s for `--paced-seconds`: latency from
 * published (Kafka accepted) to applied (the history row written), p50/p90/p99.
 *
 *   [--rate 2000] [--paced-seconds 10]  (0 skips the phase)
 *
 * For the whole sessions, the limit measured in the same run: the same events produced and consumed
 * with kafkajs alone (a fresh topic of as many partitions, a group working 6 at a time as orders'
 * does, decoding each message and committing), with the ratio and the load average.
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const STATUSES = ['Preparing', 'Charging', 'SuspendedEV', 'Charging', 'Finishing', 'Available'] as const;

async function main(): Promise<void> {
  const total = arg('events', 20_000);
  const chargerCount = arg('chargers', 500);
  const sessions = arg('sessions', 1000);
  const database = uniqueName('evcs_bench');
  const namespace = uniqueName('bench');
  // `--charger-source assets`: session starts resolve the charger in assets per event, as before orders' projection
  const i = process.argv.indexOf('--charger-source');
  const chargerSource = i > 0 ? process.argv[i + 1] : 'projection';
  const stack = await startStack({ database, kafkaNamespace: namespace, ports: 'ephemeral', quiet: true, env: { ORDERS_CHARGER_SOURCE: chargerSource } });
  console.log(`charger source: ${chargerSource}; load average at start ${loadAverage()}`);
  const logger = createLogger('bench', { level: 'warn' });
  const bus = new KafkaEventBus({ clientId: uniqueName('bench-ingest'), brokers: KAFKA_BROKERS, logger });
  try {
    const tenantId = randomUUID();
    const perStation = 50;
    const codes = Array.from({ length: chargerCount }, (_, i) => `ING-${Math.floor(i / perStation)}-${i % perStation}`);
    await stack.seedTenant({
      id: tenantId,
      code: 'bench',
      name: 'Bench operator',
      stations: Array.from({ length: Math.ceil(chargerCount / perStation) }, (_, s) => ({
        code: `ING-ST-${s}`,
        name: `Ingest station ${s}`,
        chargers: codes.slice(s * perStation, (s + 1) * perStation).map((code) => ({ code, connectors: 2 })),
      })),
    });
    const names = kafkaNames(namespace);
    const topic = names.topic(CHARGER_EVENTS_TOPIC);
    const groups = ['assets-status', 'orders-charger-events'].map((g) => names.group(g));

    // Each connector walks through a session's statuses, a second apart: every event is newer than the last.
    const base = Date.now() - total * 1000;
    const statusEvent = (i: number, occurred: Date): ChargerEvent => {
      const code = codes[i % codes.length];
      const round = Math.floor(i / codes.length);
      const at = occurred.toISOString();
      return {
        id: randomUUID(),
        version: 1,
        tenantId,
        chargerId: code,
        occurredAt: at,
        receivedAt: at,
        source: { protocol: 'OCPP16', bridgeId: 'bench' },
        type: 'connector.status_changed',
        data: { connectorId: 1 + (round % 2), status: STATUSES[round % STATUSES.length], errorCode: 'NoError' },
      } as ChargerEvent;
    };
    const events = Array.from({ length: total }, (_, i) => statusEvent(i, new Date(base + i * 1000)));
    const statusRate = await measure('connector status changes', bus, groups, topic, events);
    const messages = events.map(encodeChargerEvent);
    const kafkaAlone = Math.round(
      (await kafkaLimit({ brokers: KAFKA_BROKERS, topic: uniqueName('bench_limit'), messages, partitions: CHARGER_EVENTS_PARTITIONS, concurrency: 6 }))
        .perSecond,
    );
    const pg = await pgbenchStatusUpsert(withDatabase(PG_SUPERUSER_URL, database), chargerCount * 2, 6, 10).catch((e: Error) => {
      console.log(`pgbench limit not measured: ${e.message} (pgbench is Postgres's client tool)`);
      return null;
    });
    const pgLimit = pg ? Math.round(pg.perSecond) : NaN;
    console.log(
      `limits in this run (load ${loadAverage()}): kafkajs produce→consume ${kafkaAlone} events/s, pgbench status upsert ${pgLimit} statuses/s; ` +
        `assets at ${((100 * statusRate[groups[0]]) / kafkaAlone).toFixed(0)} % of kafka, ${((100 * statusRate[groups[0]]) / pgLimit).toFixed(0)} % of pgbench`,
    );

    const rate = arg('rate', 2000);
    const pacedSeconds = arg('paced-seconds', 10);
    if (rate > 0 && pacedSeconds > 0) await paced(bus, groups[0], topic, database, rate, pacedSeconds, (i, at) => statusEvent(i, new Date(at)));

    if (sessions > 0) {
      const started = Date.now() - 3_600_000;
      const envelope = (code: string, at: Date) => ({
        id: randomUUID(),
        version: 1 as const,
        tenantId,
        chargerId: code,
        occurredAt: at.toISOString(),
        receivedAt: at.toISOString(),
        source: { protocol: 'OCPP16' as const, bridgeId: 'bench' },
      });
      const sessionEvents: ChargerEvent[] = [];
      for (let i = 0; i < sessions; i++) {
        const code = codes[i % codes.length];
        const connectorId = 1 + (Math.floor(i / codes.length) % 2);
        const transactionId = `bench-${i}`;
        const t = (m: number) => new Date(started + i * 10 + m * 60_000);
        sessionEvents.push({
          ...envelope(code, t(0)),
          type: 'session.started',
          data: { connectorId, transactionId, idTag: 'BENCHTAG', meterStartWh: 0, startedAt: t(0).toISOString(), trigger: 'LOCAL' },
        } as ChargerEvent);
        for (let m = 1; m <= 10; m++) {
          sessionEvents.push({
            ...envelope(code, t(m)),
            type: 'session.meter_values',
            data: {
              connectorId,
              transactionId,
              readings: [{ timestamp: t(m).toISOString(), samples: [{ measurand: 'Energy.Active.Import.Register', value: String(m * 1000), unit: 'Wh' }] }],
            },
          } as ChargerEvent);
        }
        sessionEvents.push({
          ...envelope(code, t(11)),
          type: 'session.stopped',
          data: { transactionId, connectorId, meterStopWh: 11_000, stoppedAt: t(11).toISOString(), reason: 'Local' },
        } as ChargerEvent);
      }
      const ours = await measure(`whole sessions (${sessions} × start, 10 meter values, stop)`, bus, [groups[1]], topic, sessionEvents);
      console.log(`  load average after the run: ${loadAverage()}`);
      const limit = await kafkaLimit({
        brokers: KAFKA_BROKERS,
        topic: names.topic(`bench-limit-${randomUUID().slice(0, 8)}`),
        partitions: CHARGER_EVENTS_PARTITIONS,
        messages: sessionEvents.map(encodeChargerEvent),
        concurrency: 6,
      });
      console.log(
        `limit, same run: kafkajs alone, the same ${sessionEvents.length} events produced and consumed (${CHARGER_EVENTS_PARTITIONS} partitions, 6 at a time): ` +
          `${Math.round(limit.perSecond)} events/s (load average ${loadAverage()})` +
          (ours[groups[1]] ? `\n  ratio ours / limit: ${(ours[groups[1]] / limit.perSecond).toFixed(3)}` : ''),
      );
    }
  } finally {
    await bus.close();
    await stack.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  }
}

/** Publish the events and wait until every group has committed past them; print (and return) the rates. */
async function measure(name: string, bus: KafkaEventBus, groups: string[], topic: string, events: ChargerEvent[]): Promise<Record<string, number>> {
  const total = events.length;
  const before = await committed(bus, groups, topic);
  const t0 = Date.now();
  for (let i = 0; i < events.length; i += 1000) {
    await bus.publish(topic, events.slice(i, i + 1000).map(encodeChargerEvent));
  }
  const published = Date.now();
  console.log(`published ${total} events in ${((published - t0) / 1000).toFixed(1)} s`);

  const done = new Map<string, number>();
  const deadline = Date.now() + 600_000;
  while (done.size < groups.length && Date.now() < deadline) {
    const now = await committed(bus, groups, topic);
    for (const g of groups) if (!done.has(g) && now[g] - before[g] >= total) done.set(g, Date.now());
    await new Promise((r) => setTimeout(r, 100));
  }
  const rates: Record<string, number> = {};
  for (const g of groups) {
    const end = done.get(g);
    if (end) rates[g] = total / ((end - t0) / 1000);
    console.log(
      end
        ? `${name} — ${g}: ${total} events in ${((end - t0) / 1000).toFixed(1)} s → ${Math.round(rates[g])} events/s (load ${loadAverage()})`
        : `${name} — ${g}: not caught up within 10 min`,
    );
  }
  return rates;
}

/**
 * Status changes published at `rate` per second (a tick every 20 ms) for `seconds`; when the
 * group has committed past them, each one's latency: Kafka accepted it → assets wrote its
 * history row (`recorded_at`, the database's clock on the same machine).
 */
async function paced(
  bus: KafkaEventBus,
  group: string,
  topic: string,
  database: string,
  rate: number,
  seconds: number,
  event: (i: number, at: number) => ChargerEvent,
): Promise<void> {
  const before = await bus.committedOffsetTotal(group, topic);
  const watcher = new Client({ connectionString: PG_SUPERUSER_URL });
  await watcher.connect();
  const activity = new PgActivitySampler(watcher, database);
  activity.start();
  const publishedAt = new Map<string, number>();
  const tickMs = 20;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const t0 = Date.now();
  let n = 0;
  const sends: Promise<void>[] = [];
  for (let tick = 0; Date.now() - t0 < seconds * 1000; tick++) {
    const batch = Array.from({ length: perTick }, () => event(1_000_000 + n++, Date.now()));
    sends.push(
      bus.publish(topic, batch.map(encodeChargerEvent)).then(() => {
        const at = Date.now();
        for (const e of batch) publishedAt.set(e.id, at);
      }),
    );
    const next = t0 + (tick + 1) * tickMs;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  await Promise.all(sends);
  const offered = Math.round(n / ((Date.now() - t0) / 1000));
  const deadline = Date.now() + 120_000;
  while ((await bus.committedOffsetTotal(group, topic)) - before < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const waits = await activity.stop();
  await watcher.end();
  const pg = new Client({ connectionString: withDatabase(PG_SUPERUSER_URL, database) });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ event_id: string; ms: number }>(
      'select event_id, extract(epoch from recorded_at) * 1000 as ms from assets.connector_status_history where event_id = any($1::uuid[])',
      [[...publishedAt.keys()]],
    );
    const lat = percentiles(rows.map((r) => Number(r.ms) - publishedAt.get(r.event_id)!));
    console.log(
      `paced status changes — ${group}: ${n} events offered at ${offered}/s, ${rows.length} applied; ` +
        `published → applied ms p50 ${lat.p50} p90 ${lat.p90} p99 ${lat.p99} max ${lat.max} (load ${loadAverage()})`,
    );
    console.log(`  the database's connections meanwhile (mean of 50 ms samples):\n${waits}`);
  } finally {
    await pg.end();
  }
}

/** Committed offsets of each group on the topic, summed over partitions. */
async function committed(bus: KafkaEventBus, groups: string[], topic: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const groupId of groups) out[groupId] = await bus.committedOffsetTotal(groupId, topic);
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
