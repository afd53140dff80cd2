import { randomUUID } from 'node:crypto';
import { encodeOrderEvent, ORDER_EVENTS_TOPIC } from '@evcs/events';
import {
  createKnex,
  DeadLetterRecorder,
  generateSigningKey,
  internalTokenVerifier,
  issuerBoundJwks,
  KafkaEventBus,
  Knex,
  kafkaNames,
  listen,
  PgDeadLetterStore,
  ServiceGraphQLClient,
  SigningKey,
  SubgraphServer,
  Subscription,
  TokenIssuer,
  withTenant,
} from '@evcs/platform';
import { createOrdersServer, migrations as ordersMigrations } from '@evcs/orders';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { APPLY_PAYMENT_EVENT_MUTATION, HttpOrderLookup, ORDER_FOR_PAYMENT_QUERY, PAYMENTS_TOKEN_ISSUER } from '../src/clients/orders-lookup';
import { PgPaymentStore, startOrderConsumer } from '../src';
import type { PayableOrder, PayableOrderSource } from '../src/domain/ports';
import { CREATE, Harness, logger, PAYMENT, REFUND, startHarness } from './harness';

/**
 * Read-your-writes for createPayment: a client that sees TO_PAY at orders pays at once, before
 * `order.completed` has reached payments (its consumer is not even started here). Payments asks
 * the real orders subgraph (HTTP, its own service token, scope `order-payable:read`); the event,
 * delivered afterwards through real Kafka, changes nothing.
 */
describe('createPayment before order.completed arrives: payments asks orders (real orders subgraph, Postgres, Kafka)', () => {
  let h: Harness;
  let orders: SubgraphServer;
  let ordersKnex: Knex;
  let ordersUrl: string;
  let paymentsKey: SigningKey;
  let routerKey: SigningKey;
  const tenant = randomUUID();
  const other = randomUUID();
  const driver = randomUUID();

  /** An order as orders holds it (numeric yuan columns), straight into the orders schema. */
  async function orderAtOrders(tenantId: string, state: string, amountYuan: string | null): Promise<string> {
    const id = randomUUID();
    await withTenant(ordersKnex, tenantId, (trx) =>
      trx('orders.orders').insert({
        id,
        tenant_id: tenantId,
        station_id: randomUUID(),
        charger_id: randomUUID(),
        charger_code: 'CP-PAY-1',
        connector_no: 2,
        user_id: driver,
        origin: 'API',
        state,
        started_at: new Date(Date.now() - 3600_000),
        stopped_at: state === 'CHARGING' ? null : new Date(Date.now() - 60_000),
        amount: amountYuan,
        energy_wh: 12_000,
        transaction_id: randomUUID().slice(0, 8),
      }),
    );
    return id;
  }

  /** The real orders subgraph, trusting the payments service's key and the router's; pricing and chargers are not used. */
  const ordersServer = () =>
    createOrdersServer({
      knex: ordersKnex,
      verifier: internalTokenVerifier(issuerBoundJwks({ [PAYMENTS_TOKEN_ISSUER]: [paymentsKey.publicJwk], 'evcs-router': [routerKey.publicJwk] })),
      logger,
      pricer: { price: async () => Promise.reject(new Error('not used')) },
      chargers: { byId: async () => null, byCode: async () => null },
    });

  const lookup = () =>
    new HttpOrderLookup(new ServiceGraphQLClient({ url: ordersUrl, tokens: new TokenIssuer(paymentsKey, PAYMENTS_TOKEN_ISSUER), subject: 'payments' }));

  const pay = async (tenantId: string, orderId: string, idempotencyKey = `key-${randomUUID()}`) =>
    (await h.gql(CREATE, { token: await h.token(tenantId), variables: { i: { orderId, method: 'ALIPAY_QR', idempotencyKey } } })).body.data.createPayment;

  const payableRow = (tenantId: string, orderId: string) =>
    withTenant(h.knex, tenantId, (trx) => trx('payments.payable_orders').where({ tenant_id: tenantId, order_id: orderId }).first());

  beforeAll(async () => {
    paymentsKey = await generateSigningKey(`payments-${randomUUID().slice(0, 8)}`);
    routerKey = await generateSigningKey(`router-${randomUUID().slice(0, 8)}`);
    // the lookup's URL is known once orders listens; the payments server takes the lookup first
    const late: { lookup?: HttpOrderLookup } = {};
    h = await startHarness({
      migrations: [ordersMigrations],
      orders: { orderForPayment: (t, o) => late.lookup!.orderForPayment(t, o) },
      orderFacts: { paymentEvent: (e) => late.lookup!.paymentEvent(e) },
    });
    ordersKnex = createKnex({ connectionString: h.db.appUrl, schema: 'orders', pool: { max: 4 } });
    orders = await ordersServer();
    ordersUrl = `http://127.0.0.1:${await listen(orders.server, 0)}/graphql`;
    late.lookup = lookup();
  });
  afterAll(async () => {
    await orders?.stop();
    await ordersKnex?.destroy();
    await h?.stop();
  });

  it('pays an order payments has not heard of, with the amount orders holds; the late event changes nothing', async () => {
    const orderId = await orderAtOrders(tenant, 'TO_PAY', '12.34');
    expect(await h.store.payableOrder(tenant, orderId)).toBeNull();

    const idempotencyKey = `key-${randomUUID()}`;
    const c = await pay(tenant, orderId, idempotencyKey);
    expect(c.userErrors).toEqual([]);
    expect(c.payment).toMatchObject({ orderId, state: 'PAYING', amount: { minor: 1234 } });
    expect(h.alipay.trade(c.payment.outTradeNo)).toMatchObject({ totalFen: 1234, subject: 'Charging at CP-PAY-1 #2' });
    const learned = await payableRow(tenant, orderId);
    expect(learned).toMatchObject({ source: 'ORDERS', event_id: null, amount_fen: '1234', status: 'PAYABLE', user_id: driver });

    // now the event orders published when the order became TO_PAY arrives, through Kafka
    const brokers = await ensureKafka();
    const names = kafkaNames(uniqueName('payrw'));
    const bus = new KafkaEventBus({ clientId: uniqueName('payments-rw'), brokers, logger });
    let consumer: Subscription | undefined;
    try {
      await bus.ensureTopics([
        { topic: names.topic(ORDER_EVENTS_TOPIC), partitions: 2 },
        { topic: names.topic('evcs.dead-letters.v1'), partitions: 1 },
      ]);
      const event = {
        id: randomUUID(),
        type: 'order.completed' as const,
        version: 1 as const,
        tenantId: tenant,
        orderId,
        occurredAt: new Date().toISOString(),
        data: { amount: 1234, currency: 'CNY', userId: driver, description: 'Charging at CP-PAY-1 #2' },
      };
      await bus.publish(names.topic(ORDER_EVENTS_TOPIC), [encodeOrderEvent(event)]);
      // the consumer's store, watched: the event is applied (as a duplicate) before we look
      const outcomes: string[] = [];
      const store = new (class extends PgPaymentStore {
        override async recordPayableOrder(o: PayableOrder & PayableOrderSource & { completedAt: Date }) {
          const r = await super.recordPayableOrder(o);
          if (o.orderId === orderId) outcomes.push(r);
          return r;
        }
      })(h.knex);
      const deadLetters = new DeadLetterRecorder({ store: new PgDeadLetterStore(h.knex, 'payments'), bus, topic: names.topic('evcs.dead-letters.v1') });
      consumer = await startOrderConsumer({ bus, store, deadLetters, topic: names.topic(ORDER_EVENTS_TOPIC), groupId: names.group('payments-orders') });
      await consumer.ready;
      await eventually(async () => outcomes.length > 0, { what: 'order.completed consumed', timeoutMs: 60_000 });
      expect(outcomes).toEqual(['DUPLICATE']);
    } finally {
      await consumer?.stop();
      await bus.close();
    }
    expect(await payableRow(tenant, orderId)).toEqual(learned);
    // the same request again is the same payment
    const again = await pay(tenant, orderId, idempotencyKey);
    expect(again.payment).toMatchObject({ id: c.payment.id, state: 'PAYING', amount: { minor: 1234 } });
  });

  it('refuses what orders does not hold as payable: not TO_PAY, nothing to pay, unknown, another tenant’s', async () => {
    const charging = await orderAtOrders(tenant, 'CHARGING', null);
    const paid = await orderAtOrders(tenant, 'PAID', '5.00');
    const free = await orderAtOrders(tenant, 'TO_PAY', '0.00');
    const theirs = await orderAtOrders(other, 'TO_PAY', '8.00');
    for (const orderId of [charging, paid, free, randomUUID(), theirs]) {
      const c = await pay(tenant, orderId);
      expect(c.payment).toBeNull();
      expect(c.userErrors).toEqual([expect.objectContaining({ code: 'ORDER_NOT_PAYABLE', field: 'orderId' })]);
      expect(await payableRow(tenant, orderId)).toBeUndefined();
    }
    // the other tenant's driver can pay it: the lookup acts for the caller's tenant only
    expect((await pay(other, theirs)).payment).toMatchObject({ state: 'PAYING', amount: { minor: 800 } });
  });

  it('orders unreachable: ORDERS_UNAVAILABLE, nothing recorded; the same request succeeds once orders answers', async () => {
    const orderId = await orderAtOrders(tenant, 'TO_PAY', '3.21');
    const idempotencyKey = `key-${randomUUID()}`;
    await orders.stop();
    try {
      const c = await pay(tenant, orderId, idempotencyKey);
      expect(c.payment).toBeNull();
      expect(c.userErrors).toEqual([expect.objectContaining({ code: 'ORDERS_UNAVAILABLE', field: 'orderId' })]);
      expect(await payableRow(tenant, orderId)).toBeUndefined();
    } finally {
      orders = await ordersServer();
      await listen(orders.server, Number(new URL(ordersUrl).port));
    }
    expect((await pay(tenant, orderId, idempotencyKey)).payment).toMatchObject({ state: 'PAYING', amount: { minor: 321 } });
  });

  it('orderForPayment is for the payments service only: a user token and a service without the scope are FORBIDDEN', async () => {
    const orderId = await orderAtOrders(tenant, 'TO_PAY', '1.00');
    const ask = async (token: string) => {
      const res = await fetch(ordersUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: ORDER_FOR_PAYMENT_QUERY, variables: { orderId } }),
      });
      return (await res.json()) as { data?: { orderForPayment: unknown }; errors?: { extensions?: { code?: string } }[] };
    };
    // a driver with every order permission, relayed by the router
    const user = await new TokenIssuer(routerKey, 'evcs-router').issue({
      subject: driver,
      kind: 'user',
      tenantId: tenant,
      roles: ['DRIVER'],
      permissions: ['order:read', 'order:write', 'payment:read'],
      dataScope: 'TENANT',
      visibleTenantIds: [tenant],
    });
    expect((await ask(user)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // the payments key, but a token without the scope (a service asking for less than its grant)
    const bare = await new TokenIssuer(paymentsKey, PAYMENTS_TOKEN_ISSUER).issue({
      subject: 'payments',
      kind: 'service',
      tenantId: tenant,
      roles: [],
      permissions: [],
      dataScope: 'TENANT',
      visibleTenantIds: [tenant],
    });
    expect((await ask(bare)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // with it: the order, as orders holds it
    expect((await lookup().orderForPayment(tenant, orderId))?.amount).toBe(100);
  });

  describe('a success here is the order’s state at orders at once (no event delivered; no consumer runs)', () => {
    const orderState = async (tenantId: string, orderId: string) =>
      (await withTenant(ordersKnex, tenantId, (trx) => trx('orders.orders').where({ id: orderId }).first('state', 'refunded_amount'))) as
        { state: string; refunded_amount: string | null } | undefined;
    /** orders.applyPaymentEvent as a given token calls it: its answer, or the first error's code */
    const hand = async (token: string, event: unknown) => {
      const res = await fetch(ordersUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: APPLY_PAYMENT_EVENT_MUTATION, variables: { event: JSON.stringify(event) } }),
      });
      const b = (await res.json()) as { data?: { applyPaymentEvent: string } | null; errors?: { extensions?: { code?: string } }[] };
      return b.data?.applyPaymentEvent ?? b.errors?.[0]?.extensions?.code;
    };
    const paymentsToken = (tenantId: string) =>
      new TokenIssuer(paymentsKey, PAYMENTS_TOKEN_ISSUER).issue({
        subject: 'payments',
        kind: 'service',
        tenantId,
        roles: [],
        permissions: ['order-payable:read', 'order-payment:write'],
        dataScope: 'TENANT',
        visibleTenantIds: [tenantId],
      });
    const outboxEvents = async (tenantId: string, orderId: string) =>
      (await withTenant(h.knex, tenantId, (trx) => trx('payments.outbox').where({ tenant_id: tenantId }).orderBy('created_at').select('payload')))
        .map((r: { payload: string | object }) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload))
        .filter((e: { orderId: string }) => e.orderId === orderId);

    it('paid: PAID at orders; refunded in part: PARTIALLY_REFUNDED when refundPayment answers; the events, delivered later, change nothing', async () => {
      const orderId = await orderAtOrders(tenant, 'TO_PAY', '12.34');
      const c = await pay(tenant, orderId);
      expect(c.payment).toMatchObject({ state: 'PAYING' });
      // the buyer pays at the sandbox; its signed notification reaches payments, which tells orders
      h.alipay.pay(c.payment.outTradeNo);
      await eventually(async () => (await orderState(tenant, orderId))?.state === 'PAID', { what: 'order PAID at orders', timeoutMs: 20_000 });
      const paid = await h.gql(PAYMENT, { token: await h.token(tenant), variables: { id: c.payment.id } });
      expect(paid.body.data.payment.state).toBe('SUCCEEDED');

      const r = await h.gql(REFUND, {
        token: await h.token(tenant),
        variables: { i: { paymentId: c.payment.id, amountMinor: 234, reason: 'partial', idempotencyKey: `refund-${randomUUID()}` } },
      });
      expect(r.body.data.refundPayment.userErrors).toEqual([]);
      expect(r.body.data.refundPayment.refund.state).toBe('SUCCEEDED');
      // no eventually: by the time the refund is answered SUCCEEDED, orders holds it
      expect(await orderState(tenant, orderId)).toMatchObject({ state: 'PARTIALLY_REFUNDED' });

      // the events payments committed arrive now (as the consumer would apply them): duplicates
      const events = await outboxEvents(tenant, orderId);
      expect(events.map((e: { type: string }) => e.type)).toEqual(['payment.succeeded', 'refund.succeeded']);
      for (const e of events) expect(await hand(await paymentsToken(tenant), e)).toBe('duplicate');
      expect(await orderState(tenant, orderId)).toMatchObject({ state: 'PARTIALLY_REFUNDED' });
    });

    it('attack: a token for one tenant can’t move another tenant’s order; a user can’t hand facts; a malformed event is BAD_USER_INPUT', async () => {
      const theirs = await orderAtOrders(other, 'TO_PAY', '8.00');
      const forged = {
        id: randomUUID(),
        version: 1,
        type: 'payment.succeeded',
        tenantId: other,
        orderId: theirs,
        paymentId: randomUUID(),
        occurredAt: new Date().toISOString(),
        data: { amount: 800, currency: 'CNY', channel: 'ALIPAY', method: 'ALIPAY_QR', channelTradeNo: 'T1', paidAt: new Date().toISOString() },
      };
      // payments acting for `tenant` hands over an event of `other`
      expect(await hand(await paymentsToken(tenant), forged)).toBe('FORBIDDEN');
      const driverToken = await new TokenIssuer(routerKey, 'evcs-router').issue({
        subject: driver,
        kind: 'user',
        tenantId: other,
        roles: ['DRIVER'],
        permissions: ['order:read', 'order:write', 'payment:read', 'payment:refund'],
        dataScope: 'TENANT',
        visibleTenantIds: [other],
      });
      expect(await hand(driverToken, forged)).toBe('FORBIDDEN');
      expect(await orderState(other, theirs)).toMatchObject({ state: 'TO_PAY' });
      expect(await hand(await paymentsToken(other), { ...forged, data: { amount: -1 } })).toBe('BAD_USER_INPUT');
      // the same event from payments acting for its own tenant is applied
      expect(await hand(await paymentsToken(other), forged)).toBe('applied');
      expect(await orderState(other, theirs)).toMatchObject({ state: 'PAID' });
    });
  });
});
