import { randomUUID } from 'node:crypto';
import { decodePaymentEvent, encodeOrderEvent, ORDER_EVENTS_TOPIC, PAYMENT_EVENTS_TOPIC, PaymentEvent } from '@evcs/events';
import { DeadLetterRecorder, KafkaEventBus, kafkaNames, OutboxRelay, PgDeadLetterStore, PgOutbox, Subscription } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { startOrderConsumer } from '../src';
import { CREATE, Harness, logger, PAYMENT, REFUND, startHarness } from './harness';

describe('orders and payments stay consistent through events (real Kafka)', () => {
  let h: Harness;
  let bus: KafkaEventBus;
  let consumer: Subscription;
  let listener: Subscription;
  const names = kafkaNames(uniqueName('pay'));
  const tenant = randomUUID();
  const received: PaymentEvent[] = [];

  beforeAll(async () => {
    h = await startHarness();
    const brokers = await ensureKafka();
    bus = new KafkaEventBus({ clientId: uniqueName('payments-test'), brokers, logger });
    await bus.ensureTopics([
      { topic: names.topic(ORDER_EVENTS_TOPIC), partitions: 2 },
      { topic: names.topic(PAYMENT_EVENTS_TOPIC), partitions: 2 },
      { topic: names.topic('evcs.dead-letters.v1'), partitions: 1 },
    ]);
    const deadLetters = new DeadLetterRecorder({ store: new PgDeadLetterStore(h.knex, 'payments'), bus, topic: names.topic('evcs.dead-letters.v1') });
    consumer = await startOrderConsumer({ bus, store: h.store, deadLetters, topic: names.topic(ORDER_EVENTS_TOPIC), groupId: names.group('payments-orders') });
    listener = await bus.subscribe({
      groupId: names.group('test-listener'),
      topics: [names.topic(PAYMENT_EVENTS_TOPIC)],
      fromBeginning: true,
      handleBatch: async (ms) => {
        for (const m of ms) received.push(decodePaymentEvent(m.value));
      },
    });
    await Promise.all([consumer.ready, listener.ready]);
  });
  afterAll(async () => {
    await consumer?.stop();
    await listener?.stop();
    await bus?.close();
    await h?.stop();
  });

  it('a completed order (delivered twice, beside a malformed event) can be paid once; the payment and refund are published', async () => {
    const orderId = randomUUID();
    const event = {
      id: randomUUID(),
      type: 'order.completed' as const,
      version: 1 as const,
      tenantId: tenant,
      orderId,
      occurredAt: new Date().toISOString(),
      data: { amount: 2345, currency: 'CNY', description: 'EV charging 12.3 kWh' },
    };
    await bus.publish(names.topic(ORDER_EVENTS_TOPIC), [
      encodeOrderEvent(event),
      { key: orderId, value: '{"type":"order.completed","broken":true}' },
      encodeOrderEvent(event),
    ]);
    await eventually(async () => (await h.store.payableOrder(tenant, orderId))?.amount === 2345, { what: 'payable order', timeoutMs: 30_000 });
    const token = await h.token(tenant);
    const c = (await h.gql(CREATE, { token, variables: { i: { orderId, method: 'ALIPAY_QR', idempotencyKey: `key-${randomUUID()}` } } })).body.data
      .createPayment;
    expect(c.payment.amount.minor).toBe(2345);
    h.alipay.pay(c.payment.outTradeNo);
    await eventually(async () => (await h.gql(PAYMENT, { token, variables: { id: c.payment.id } })).body.data.payment.state === 'SUCCEEDED');
    await h.gql(REFUND, { token, variables: { i: { paymentId: c.payment.id, amountMinor: 345, reason: 'r', idempotencyKey: `key-${randomUUID()}` } } });

    const relay = new OutboxRelay({ outbox: new PgOutbox(h.knex, 'payments'), bus, names, logger });
    expect(await relay.runOnce()).toBeGreaterThanOrEqual(2);
    expect(await relay.runOnce()).toBe(0);
    await eventually(async () => received.filter((e) => e.orderId === orderId).length >= 2, { what: 'payment events', timeoutMs: 30_000 });
    const mine = received.filter((e) => e.orderId === orderId);
    expect(mine.map((e) => e.type)).toEqual(['payment.succeeded', 'refund.succeeded']);
    expect(mine[0]).toMatchObject({ tenantId: tenant, paymentId: c.payment.id, data: { amount: 2345, channel: 'ALIPAY', method: 'ALIPAY_QR' } });
    expect(mine[1]).toMatchObject({ data: { amount: 345, refundedTotal: 345, paidAmount: 2345, fullyRefunded: false } });
    // a second payment for the paid order is refused
    const again = (await h.gql(CREATE, { token, variables: { i: { orderId, method: 'WECHAT_NATIVE', idempotencyKey: `key-${randomUUID()}` } } })).body.data
      .createPayment;
    expect(again.userErrors[0].code).toBe('ORDER_ALREADY_PAID');
  });

  it('what can never be recorded is a dead letter, listed and replayable by event:replay only', async () => {
    const unpayable = { ...anOrderCompleted(), data: { amount: 0, currency: 'CNY' } };
    await bus.publish(names.topic(ORDER_EVENTS_TOPIC), [encodeOrderEvent(unpayable)]);
    const LIST = `{ paymentsDeadLetters(first: 50) { edges { node { id tenantId consumer key reasonCode status } } } }`;
    const platform = await h.token(tenant, { permissions: ['event:replay'], dataScope: 'ALL' });
    const d = await eventually(
      async () => (await h.gql(LIST, { token: platform })).body.data.paymentsDeadLetters.edges.find((e: any) => e.node.key === unpayable.orderId)?.node,
      { what: 'the unpayable order dead-lettered', timeoutMs: 30_000 },
    );
    expect(d).toMatchObject({ tenantId: tenant, consumer: 'payments-orders', reasonCode: 'AMOUNT_NOT_PAYABLE', status: 'DEAD' });
    expect(await h.store.payableOrder(tenant, unpayable.orderId)).toBeNull();
    // The malformed order event of the first test names no tenant: unattributed, and seen by platform roles too.
    const all = (await h.gql(LIST, { token: platform })).body.data.paymentsDeadLetters.edges.map((e: any) => e.node);
    expect(all).toEqual(expect.arrayContaining([expect.objectContaining({ tenantId: null, reasonCode: 'INVALID_EVENT' })]));
    // An operator with every payment permission may neither list nor replay.
    const operator = await h.token(tenant);
    expect((await h.gql(LIST, { token: operator })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    const REPLAY = `mutation($id: ID!) { replayPaymentsDeadLetter(id: $id) { deadLetter { status } userErrors { code } } }`;
    expect((await h.gql(REPLAY, { token: operator, variables: { id: d.id } })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await h.gql(REPLAY, { token: platform, variables: { id: d.id } })).body.data.replayPaymentsDeadLetter).toEqual({
      deadLetter: null,
      userErrors: [{ code: 'STILL_FAILING' }],
    });
  });

  const anOrderCompleted = () => ({
    id: randomUUID(),
    type: 'order.completed' as const,
    version: 1 as const,
    tenantId: tenant,
    orderId: randomUUID(),
    occurredAt: new Date().toISOString(),
    data: { amount: 2345, currency: 'CNY' },
  });
});
