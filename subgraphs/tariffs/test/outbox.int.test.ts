import { randomUUID } from 'node:crypto';
import { decodeTariffEvent, TARIFF_EVENTS_TOPIC, TariffEvent } from '@evcs/events';
import { createKnex, KafkaEventBus, kafkaNames, Knex, OutboxRelay, PgOutbox, Subscription } from '@evcs/platform';
import { createTestDatabase, ensureKafka, eventually, TestDatabase, uniqueName } from '@evcs/testkit';
import knexFactory from 'knex';
import { migrations } from '../src';
import { aTariff, FIVE_PRICES } from './builders';
import { CREATE, Harness, REVISE, silent, startTariffs } from './harness';

/**
 * Plan and binding changes are published through an outbox written in the change's own
 * transaction. The server here runs with no relay — as if it crashed right after the
 * commit — and the events wait in the outbox until a relay publishes them.
 */
describe('tariff events through the outbox (real Postgres + Kafka)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let owner: Knex;
  let h: Harness;
  let token: string;
  const tenant = randomUUID();
  const names = kafkaNames(uniqueName('t_tariff_outbox'));

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'tariffs' });
    owner = knexFactory({ client: 'pg', connection: db.ownerUrl, pool: { min: 0, max: 1 } });
    h = await startTariffs(knex);
    token = await h.token(tenant);
  });
  afterAll(async () => {
    await h?.stop();
    await knex?.destroy();
    await owner?.destroy();
    await db?.drop();
  });

  const pending = async () =>
    (
      await owner.raw<{ rows: { payload: TariffEvent; tenant_id: string }[] }>(
        'select payload, tenant_id from tariffs.outbox where published_at is null order by seq',
      )
    ).rows;

  it('a committed change leaves its event in the outbox; a refused one leaves none; a relay started later publishes it once', async () => {
    const created = (await h.gql(CREATE, token, { input: aTariff({ name: 'Outbox plan', isDefault: true }) })).body.data.createTariffPlan;
    expect(created.userErrors).toEqual([]);
    const refused = (await h.gql(CREATE, token, { input: aTariff({ segments: [] }) })).body.data.createTariffPlan;
    expect(refused.userErrors.length).toBeGreaterThan(0);
    const revised = (await h.gql(REVISE, token, { input: { planId: created.plan.id, segments: FIVE_PRICES } })).body.data.reviseTariffPlan;
    expect(revised.userErrors).toEqual([]);

    const rows = await pending();
    expect(rows.map((r) => [r.payload.type, (r.payload.data as { change?: string }).change])).toEqual([
      ['tariff.plan_changed', 'CREATED'],
      ['tariff.plan_changed', 'DEFAULT_CHANGED'],
      ['tariff.plan_changed', 'VERSIONED'],
    ]);
    expect(rows.every((r) => r.tenant_id === tenant && r.payload.tenantId === tenant)).toBe(true);

    const bus = new KafkaEventBus({ clientId: uniqueName('tariff-outbox'), brokers: await ensureKafka(), logger: silent });
    const topic = names.topic(TARIFF_EVENTS_TOPIC);
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const got: TariffEvent[] = [];
    let sub: Subscription | undefined;
    try {
      sub = await bus.subscribe({
        groupId: names.group('check'),
        topics: [topic],
        fromBeginning: true,
        handleBatch: async (ms) => void got.push(...ms.map((m) => decodeTariffEvent(m.value))),
      });
      await sub.ready;
      const relay = new OutboxRelay({ outbox: new PgOutbox(knex, 'tariffs'), bus, names, logger: silent });
      expect(await relay.runOnce()).toBe(3);
      expect(await relay.runOnce()).toBe(0);
      await eventually(async () => got.length >= 3, { what: 'the three events on Kafka' });
      expect(got.map((e) => e.id)).toEqual(rows.map((r) => r.payload.id));
      expect(await pending()).toEqual([]);
    } finally {
      await sub?.stop();
      await bus.close();
    }
  });
});
