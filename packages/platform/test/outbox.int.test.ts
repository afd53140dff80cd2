import { randomBytes, randomUUID } from 'node:crypto';
import { decodePaymentEvent, InvalidEventError, PaymentEvent, PaymentEvents } from '@evcs/events';
import knexFactory, { Knex } from 'knex';
import {
  createKnex,
  createLogger,
  createOutbox,
  DEFAULT_ROLES,
  dropDatabase,
  ensureDatabase,
  KafkaEventBus,
  kafkaNames,
  OutboxRelay,
  OutboxWriter,
  PgOutbox,
  ReceivedMessage,
  Subscription,
  withDatabase,
  withTenant,
} from '../src';

const superuser = process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const suffix = randomBytes(4).toString('hex');

const payment = (tenantId: string, orderId = randomUUID()): PaymentEvent => ({
  id: randomUUID(),
  type: 'payment.failed',
  version: 1,
  tenantId,
  orderId,
  paymentId: randomUUID(),
  occurredAt: new Date().toISOString(),
  data: { state: 'FAILED', channel: 'ALIPAY', reason: null },
});

/** The platform outbox end to end: migration, typed writer, relay to a real Kafka topic under a namespace. */
describe('platform outbox (real Postgres and Kafka)', () => {
  const database = `evcs_t_outbox_${suffix}`;
  const namespace = `t_outbox_${suffix}`;
  const names = kafkaNames(namespace);
  const logger = createLogger('outbox-test', { level: 'silent' });
  let owner: Knex;
  let app: Knex;
  let bus: KafkaEventBus;
  let sub: Subscription | undefined;
  const received: ReceivedMessage[] = [];
  const writer = new OutboxWriter('o');
  const tenantA = randomUUID();
  const tenantB = randomUUID();

  beforeAll(async () => {
    await ensureDatabase(superuser, database);
    owner = knexFactory({ client: 'pg', connection: withDatabase(superuser, database, DEFAULT_ROLES.owner), pool: { min: 0, max: 1 } });
    await owner.raw(`create schema o; grant usage on schema o to ${DEFAULT_ROLES.app};
      alter default privileges in schema o grant select, insert, update, delete on tables to ${DEFAULT_ROLES.app};
      alter default privileges in schema o grant usage, select on sequences to ${DEFAULT_ROLES.app};
      create table o.things (tenant_id uuid not null, name text not null);`);
    await owner.transaction((trx) => createOutbox(trx, 'o', { readersOf: 'o.things' }));
    // Run again: an outbox already in the standard form is left as it is.
    await owner.transaction((trx) => createOutbox(trx, 'o', { readersOf: 'o.things' }));
    app = createKnex({ connectionString: withDatabase(superuser, database, DEFAULT_ROLES.app), schema: 'o', pool: { max: 2 } });
    bus = new KafkaEventBus({ clientId: `outbox-test-${suffix}`, brokers, logger });
    await bus.ensureTopics([{ topic: names.topic(PaymentEvents.topic), partitions: 2 }]);
    sub = await bus.subscribe({
      groupId: names.group('outbox-test'),
      topics: [names.topic(PaymentEvents.topic)],
      fromBeginning: true,
      handleBatch: async (ms) => {
        received.push(...ms);
      },
    });
    await sub.ready;
  });
  afterAll(async () => {
    await sub?.stop();
    await bus?.close();
    await app?.destroy();
    await owner?.destroy();
    await dropDatabase(superuser, database);
  });

  it('a message exists exactly when its transaction commits, and the relay publishes it once, namespaced, with its headers', async () => {
    const kept = payment(tenantA);
    const rolledBack = payment(tenantA);
    await withTenant(app, tenantA, (trx) => writer.enqueue(trx, PaymentEvents, kept, { requestId: 'req-123' }));
    await withTenant(app, tenantA, async (trx) => {
      await writer.enqueue(trx, PaymentEvents, rolledBack);
      await trx.rollback();
    });
    const relay = new OutboxRelay({ outbox: new PgOutbox(app, 'o'), bus, names, logger });
    expect(await relay.runOnce()).toBe(1);
    expect(await relay.runOnce()).toBe(0);
    const deadline = Date.now() + 15_000;
    while (received.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
    const m = received[0];
    expect(m.topic).toBe(`${namespace}.evcs.payment-events.v1`);
    expect(m.key).toBe(kept.orderId);
    expect(decodePaymentEvent(m.value)).toEqual(kept);
    expect(m.headers).toMatchObject({
      'event-type': 'payment.failed',
      'event-version': '1',
      'tenant-id': tenantA,
      'request-id': 'req-123',
      'content-type': 'application/json',
    });
  });

  it('refuses at enqueue a message its contract rejects, failing the change that made it', async () => {
    const bad = { ...payment(tenantA), data: { state: 'FAILED', channel: 'ALIPAY', reason: 42 } } as unknown as PaymentEvent;
    await expect(withTenant(app, tenantA, (trx) => writer.enqueue(trx, PaymentEvents, bad))).rejects.toBeInstanceOf(InvalidEventError);
    const { rows } = await owner.raw<{ rows: { n: number }[] }>('select count(*)::int as n from o.outbox where published_at is null');
    expect(rows[0].n).toBe(0);
  });

  it('rows are tenant-owned: a tenant sees only its own, and writes only its own', async () => {
    await withTenant(app, tenantB, (trx) => writer.enqueue(trx, PaymentEvents, payment(tenantB)));
    const seenByA = await withTenant(app, tenantA, (trx) => trx('o.outbox').select('tenant_id'));
    expect(seenByA.every((r: { tenant_id: string }) => r.tenant_id === tenantA)).toBe(true);
    await expect(withTenant(app, tenantA, (trx) => writer.enqueue(trx, PaymentEvents, payment(tenantB)))).rejects.toMatchObject({ code: '42501' });
  });

  it('publishes in the order written, across batches, and only the application role may run the relay functions', async () => {
    const orderId = randomUUID();
    const events = Array.from({ length: 25 }, () => payment(tenantA, orderId));
    for (const e of events) await withTenant(app, tenantA, (trx) => writer.enqueue(trx, PaymentEvents, e));
    const before = received.length;
    const relay = new OutboxRelay({ outbox: new PgOutbox(app, 'o'), bus, names, logger, batch: 10, idleMs: 20 });
    relay.start();
    const deadline = Date.now() + 15_000;
    while (received.length < before + 26 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await relay.stop();
    const ofOrder = received.filter((m) => m.key === orderId).map((m) => decodePaymentEvent(m.value).id);
    expect(ofOrder).toEqual(events.map((e) => e.id));
    const { rows } = await owner.raw<{ rows: { public_can: boolean }[] }>(
      "select has_function_privilege('public', 'o.outbox_pending(integer)', 'execute') as public_can",
    );
    expect(rows[0].public_can).toBe(false);
  });
});
