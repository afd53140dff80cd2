import { randomUUID } from 'node:crypto';
import { encodeTariffEvent, TARIFF_EVENTS_PARTITIONS, TARIFF_EVENTS_TOPIC } from '@evcs/events';
import { createKnex, KafkaEventBus, kafkaNames, Knex, OutboxRelay, PgOutbox, Subscription } from '@evcs/platform';
import { createTestDatabase, ensureKafka, eventually, TestDatabase, uniqueName } from '@evcs/testkit';
import { migrations, PlanCache, startCacheInvalidation } from '../src';
import { aTariff, seg } from './builders';
import { BIND, CREATE, Harness, PRICE, REVISE, silent, startTariffs } from './harness';

/**
 * Two tariffs instances (each its own cache, bus client and consumer group) on
 * one database and a real broker: a change made through one is priced by the
 * other within a second.
 */
describe('plan cache invalidation across instances (real Postgres + Kafka)', () => {
  let db: TestDatabase;
  let knex: Knex;
  const buses: KafkaEventBus[] = [];
  const subs: Subscription[] = [];
  const relays: OutboxRelay[] = [];
  let a: Harness;
  let b: Harness;
  let c: Harness;
  let tokenA: string;
  const tenant = randomUUID();
  const station = randomUUID();
  const charger = randomUUID();
  // the instances publish through their outbox relays, under a namespace of this test's own
  const names = kafkaNames(uniqueName('t_tariffs'));
  const topic = names.topic(TARIFF_EVENTS_TOPIC);

  async function instance(withConsumer: boolean): Promise<Harness> {
    const bus = new KafkaEventBus({ clientId: uniqueName('tariffs-test'), brokers: await ensureKafka(), logger: silent });
    buses.push(bus);
    const cache = new PlanCache();
    if (withConsumer) {
      const sub = await startCacheInvalidation({ bus, cache, logger: silent, topic, groupId: uniqueName('tariffs-cache') });
      subs.push(sub);
      await sub.ready;
    }
    // each instance runs its relay, as runSubgraphMain runs it beside a real one
    const relay = new OutboxRelay({ outbox: new PgOutbox(knex, 'tariffs'), bus, names, logger: silent, idleMs: 50 });
    relays.push(relay);
    relay.start();
    return startTariffs(knex, { cache, onCommitted: () => relay.wake() });
  }

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'tariffs' });
    await ensureKafka();
    const admin = new KafkaEventBus({ clientId: uniqueName('tariffs-admin'), brokers: await ensureKafka(), logger: silent });
    await admin.ensureTopics([{ topic, partitions: TARIFF_EVENTS_PARTITIONS }]);
    await admin.close();
    [a, b, c] = [await instance(true), await instance(true), await instance(false)];
    tokenA = await a.token(tenant);
    // A new group starts at the latest offset once its partitions are assigned: make sure both
    // consumers are really reading before the test relies on them.
    const warm = a.srv.cache.stats.invalidations;
    await eventually(
      async () => {
        await buses[0].publish(topic, [
          encodeTariffEvent({
            id: randomUUID(),
            version: 1,
            type: 'tariff.binding_changed',
            tenantId: randomUUID(),
            occurredAt: new Date().toISOString(),
            data: { chargerId: randomUUID(), stationId: null, planId: null },
          }),
        ]);
        await new Promise((r) => setTimeout(r, 200));
        return a.srv.cache.stats.invalidations > warm && b.srv.cache.stats.invalidations > 0;
      },
      { what: 'both consumers reading', timeoutMs: 30_000 },
    );
  });
  afterAll(async () => {
    await Promise.allSettled(subs.map((s) => s.stop()));
    await Promise.allSettled([a, b, c].map((h) => h?.stop()));
    await Promise.allSettled(relays.map((r) => r.stop()));
    await Promise.allSettled(buses.map((x) => x.close()));
    await knex?.destroy();
    await db?.drop();
  });

  const createPlan = async (name: string, price: string) => {
    const r = await a.gql(CREATE, tokenA, { input: aTariff({ stationId: station, name, segments: [seg('00:00', '24:00', price, '0.0000')] }) });
    expect(r.body.data.createTariffPlan.userErrors).toEqual([]);
    return r.body.data.createTariffPlan.plan.id as string;
  };
  const bind = async (planId: string) => {
    const r = await a.gql(BIND, tokenA, { input: a.registered({ chargerId: charger, stationId: station, protocol: 'OCPP16', planId }) });
    expect(r.body.data.bindChargerTariff.userErrors).toEqual([]);
  };
  /** 10 kWh in a session that starts at `startedAt`. */
  const priceOn = async (h: Harness, startedAt = new Date('2026-03-02T00:00:00Z')) => {
    const r = await h.gql(PRICE, tokenA, {
      input: { chargerId: charger, startedAt: startedAt.toISOString(), stoppedAt: new Date(startedAt.getTime() + 3_600_000).toISOString(), energyWh: '10000' },
    });
    if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
    return r.body.data.priceSession.total.formatted as string;
  };

  /** Poll instance `h` until it prices `expected`; returns how long that took. */
  async function timeUntil(h: Harness, expected: string, startedAt?: Date): Promise<number> {
    const t0 = Date.now();
    await eventually(async () => (await priceOn(h, startedAt)) === expected, { what: `price ${expected}`, timeoutMs: 5_000, intervalMs: 20 });
    return Date.now() - t0;
  }

  it("a binding change made on instance A reaches instance B's cache within a second", async () => {
    const seen = b.srv.cache.stats.invalidations;
    const cheap = await createPlan('Cheap', '1.0000');
    const dear = await createPlan('Dear', '3.0000');
    await bind(cheap);
    // Events leave through A's outbox after each commit: let B receive these three (and any late
    // warm-up events) before it caches — its invalidation count reached them and stays put.
    let last = -1;
    await eventually(
      async () => {
        const now = b.srv.cache.stats.invalidations;
        const settled = now >= seen + 3 && now === last;
        last = now;
        return settled;
      },
      { what: 'B saw the three changes, and nothing more arrives', timeoutMs: 15_000, intervalMs: 500 },
    );
    expect(await priceOn(b)).toBe('10.00');
    expect(await priceOn(c)).toBe('10.00');
    const hits = b.srv.cache.stats.hits;
    expect(await priceOn(b)).toBe('10.00');
    expect(b.srv.cache.stats.hits).toBeGreaterThan(hits); // B really prices from its cache

    await bind(dear);
    expect(await timeUntil(b, '30.00')).toBeLessThan(1000);
    // C has no consumer: its cached copy is stale, which is what the event is for
    expect(await priceOn(c)).toBe('10.00');
  });

  it('a new plan version made on A is priced by B within a second', async () => {
    const plan = await createPlan('Versioned', '2.0000');
    await bind(plan);
    await timeUntil(b, '20.00');
    const from = new Date(Date.now() + 2000);
    const rev = await a.gql(REVISE, tokenA, {
      input: { planId: plan, segments: [seg('00:00', '24:00', '4.0000', '0.0000')], effectiveFrom: from.toISOString() },
    });
    expect(rev.body.data.reviseTariffPlan.userErrors).toEqual([]);
    // a session after the new version takes effect
    expect(await timeUntil(b, '40.00', new Date(from.getTime() + 60_000))).toBeLessThan(1000);
    // and one before it keeps version 1's price
    expect(await priceOn(b)).toBe('20.00');
  });
});
