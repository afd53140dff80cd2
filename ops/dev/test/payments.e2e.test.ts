import { randomUUID } from 'node:crypto';
import { decodePaymentEvent, encodeOrderEvent, ORDER_EVENTS_TOPIC, PAYMENT_EVENTS_TOPIC, PaymentEvent } from '@evcs/events';
import { dropDatabase, KafkaEventBus, kafkaNames, Subscription } from '@evcs/platform';
import { eventually, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { mintClientToken } from '../src/keys';
import { Stack, startStack } from '../src/stack';

/**
 * Payments end to end, every service a real process: order.completed on Kafka →
 * payments → createPayment through the router → the Alipay sandbox "pays" →
 * its signed notification reaches the payments service over HTTP → SUCCEEDED
 * through the router, and payment.succeeded on Kafka from the outbox relay.
 */
describe('end to end: an order paid through the router and the Alipay sandbox', () => {
  let stack: Stack;
  let bus: KafkaEventBus;
  let listener: Subscription;
  const database = uniqueName('evcs_e2e_pay');
  const namespace = uniqueName('e2epay');
  const names = kafkaNames(namespace);
  const tenantId = randomUUID();
  const events: PaymentEvent[] = [];

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: namespace, ports: 'ephemeral', quiet: true });
    bus = new KafkaEventBus({ clientId: uniqueName('e2e-pay'), brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') });
    listener = await bus.subscribe({
      groupId: names.group('e2e-listener'),
      topics: [names.topic(PAYMENT_EVENTS_TOPIC)],
      fromBeginning: true,
      handleBatch: async (ms) => {
        for (const m of ms) events.push(decodePaymentEvent(m.value));
      },
    });
    await listener.ready;
  });

  afterAll(async () => {
    await listener?.stop();
    await bus?.close();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  const gql = async (token: string, query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  };

  it('pays, refunds and publishes', async () => {
    const token = await mintClientToken(stack.keys, {
      subject: 'finance-1',
      tenantId,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['payment:read', 'payment:refund', 'order:write'],
    });
    const orderId = randomUUID();
    await bus.publish(names.topic(ORDER_EVENTS_TOPIC), [
      encodeOrderEvent({
        id: randomUUID(),
        type: 'order.completed',
        version: 1,
        tenantId,
        orderId,
        occurredAt: new Date().toISOString(),
        data: { amount: 3456, currency: 'CNY' },
      }),
    ]);
    const create =
      'mutation($i: CreatePaymentInput!) { createPayment(input: $i) { payment { id state outTradeNo } clientParams { qrCodeUrl } userErrors { code } } }';
    const idempotencyKey = `e2e-${randomUUID()}`;
    const created = await eventually(
      async () => {
        const r = await gql(token, create, { i: { orderId, method: 'ALIPAY_QR', idempotencyKey } });
        return r.data?.createPayment?.payment ? r.data.createPayment : null;
      },
      { what: 'the order to become payable', timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(created.payment.state).toBe('PAYING');
    expect(created.clientParams.qrCodeUrl).toMatch(/^https:\/\/qr\.alipay\.com\//);

    // a person (or test) pays through the sandbox's control API
    const paid = await fetch(`${stack.paySandboxes.alipayUrl}/sandbox/trades/${created.payment.outTradeNo}/pay`, { method: 'POST' });
    expect(paid.status).toBe(200);
    const q = 'query($id: ID!) { payment(id: $id) { state amount { minor } refundedAmount { minor } } }';
    await eventually(async () => (await gql(token, q, { id: created.payment.id })).data?.payment?.state === 'SUCCEEDED', {
      what: 'payment succeeded',
      timeoutMs: 30_000,
    });

    const refund = await gql(token, 'mutation($i: RefundPaymentInput!) { refundPayment(input: $i) { refund { state } userErrors { code } } }', {
      i: { paymentId: created.payment.id, amountMinor: 456, reason: 'unused energy', idempotencyKey: `e2e-${randomUUID()}` },
    });
    expect(refund.data.refundPayment.refund.state).toBe('SUCCEEDED');
    await eventually(async () => events.filter((e) => e.orderId === orderId).length >= 2, { what: 'payment events', timeoutMs: 30_000 });
    expect(events.filter((e) => e.orderId === orderId).map((e) => e.type)).toEqual(['payment.succeeded', 'refund.succeeded']);
  });
});
