import { randomUUID } from 'node:crypto';
import { decodePaymentEvent, encodeOrderEvent, ORDER_EVENTS_TOPIC, PAYMENT_EVENTS_TOPIC, PaymentEvent } from '@evcs/events';
import { KafkaEventBus, kafkaNames, OutboxRelay, PgOutbox, Subscription } from '@evcs/platform';
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
    ]);
    consumer = await startOrderConsumer({ bus, store: h.store, logger, topic: names.topic(ORDER_EVENTS_TOPIC), groupId: names.group('payments-orders') });
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
});
