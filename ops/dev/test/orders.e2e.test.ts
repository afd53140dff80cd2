import { randomUUID } from 'node:crypto';
import { dropDatabase } from '@evcs/platform';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { eventually, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { DemoTenant, Stack, startStack } from '../src/stack';

/**
 * A charging session from the API to the bill, every service a real process:
 * startCharging (router → orders → outbox → Kafka → bridge → RemoteStartTransaction
 * to a simulated OCPP charger) → StartTransaction, MeterValues → stopCharging →
 * StopTransaction → orders priced by the tariffs service → the bill through the router.
 */
describe('end to end: a session from startCharging to the bill', () => {
  let stack: Stack;
  let cp: SimulatedChargePoint | undefined;
  const database = uniqueName('evcs_e2e_orders');
  const code = `E2E-ORD-${randomUUID().slice(0, 6)}`;
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_orders'),
    name: 'Orders Operator',
    users: [{ username: 'olga', password: 'olga password 1', roles: ['OPERATOR_ADMIN'] }],
    stations: [{ code: 'O-ST-1', name: 'Orders Station', chargers: [{ code, connectors: 1 }] }],
  };

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e_orders'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(tenant);
  });
  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  async function gql(token: string, query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }

  it('starts remotely, meters, stops remotely and bills with the tenant’s tariff — once, whatever is retried', async () => {
    const { accessToken } = await stack.login(tenant.code, 'olga', 'olga password 1');
    // Registered like any fleet: the operator's API hands out the charger's password.
    const { passwords } = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: tenant.stations[0].code,
      ocpp: [code],
      ykc: [],
      connectors: 1,
    });
    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: code, password: passwords.get(code) });
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Available');
    const charger = await gql(accessToken, 'query($c: String!) { chargerByCode(code: $c) { id } }', { c: code });
    const chargerId = charger.data.chargerByCode.id;

    const START = 'mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id state } userErrors { code message } } }';
    const input = { chargerId, connectorNo: 1, idempotencyKey: `e2e-${randomUUID()}` };
    const started = await gql(accessToken, START, { i: input });
    expect(started.data.startCharging.userErrors).toEqual([]);
    const orderId = started.data.startCharging.order.id;
    // a client retry with the same key: the same order, no second command
    const retried = await gql(accessToken, START, { i: input });
    expect(retried.data.startCharging.order.id).toBe(orderId);

    const remoteStart = await eventually(async () => cp!.commandsReceived.find((c) => c.action === 'RemoteStartTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStartTransaction at the charger',
    });
    const t0 = new Date(Date.now() - 60 * 60_000);
    const { transactionId } = await cp.startTransaction(1, String(remoteStart.params.idTag), 1000, t0);
    await cp.meterValues(1, transactionId, 6000, new Date(t0.getTime() + 30 * 60_000));
    await eventually(async () => (await gql(accessToken, 'query($id: ID!) { order(id: $id) { state } }', { id: orderId })).data.order.state === 'CHARGING', {
      timeoutMs: 30_000,
      what: 'order CHARGING',
    });

    const stop = await gql(accessToken, 'mutation($id: ID!) { stopCharging(orderId: $id) { order { state } userErrors { code } } }', { id: orderId });
    expect(stop.data.stopCharging).toEqual({ order: { state: 'FINISHING' }, userErrors: [] });
    await eventually(async () => cp!.commandsReceived.find((c) => c.action === 'RemoteStopTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStopTransaction at the charger',
    });
    await cp.stopTransaction(transactionId, 11_000, { timestamp: new Date(t0.getTime() + 60 * 60_000), reason: 'Remote' });

    const done = await eventually(
      async () => {
        const r = await gql(
          accessToken,
          'query($id: ID!) { order(id: $id) { state energy { wh kwh } amount { minor currency formatted } bill { total { minor currency formatted } planVersions source } charger { id } } }',
          { id: orderId },
        );
        return r.data.order.state === 'TO_PAY' ? r.data.order : undefined;
      },
      { timeoutMs: 30_000, what: 'order COMPLETED' },
    );
    expect(done.energy).toEqual({ wh: '10000', kwh: '10.000' });
    expect(done.bill.source).toBe('TENANT');
    expect(done.amount).toEqual(done.bill.total);
    expect(done.amount.currency).toBe('CNY');
    expect(done.amount.minor).toBeGreaterThan(0);
    expect(done.charger).toEqual({ id: chargerId });
    expect(cp.commandsReceived.filter((c) => c.action === 'RemoteStartTransaction')).toHaveLength(1);

    const list = await gql(accessToken, 'query($c: [ID!]) { orders(filter: { chargerIds: $c }) { edges { node { id state } } } }', { c: [chargerId] });
    expect(list.data.orders.edges).toEqual([{ node: { id: orderId, state: 'TO_PAY' } }]);

    // Paid through the payments service and the Alipay sandbox; the payment events bring the order to PAID, then REFUNDED.
    const created = await eventually(
      async () => {
        const r = await gql(
          accessToken,
          'mutation($i: CreatePaymentInput!) { createPayment(input: $i) { payment { id outTradeNo amount { minor } } userErrors { code } } }',
          {
            i: { orderId, method: 'ALIPAY_QR', idempotencyKey: `pay-${orderId}` },
          },
        );
        return r.data?.createPayment?.payment ?? null;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the order to be payable at the payments service' },
    );
    expect(created.amount.minor).toBe(done.amount.minor);
    expect((await fetch(`${stack.paySandboxes.alipayUrl}/sandbox/trades/${created.outTradeNo}/pay`, { method: 'POST' })).status).toBe(200);
    const orderState = async () => (await gql(accessToken, 'query($id: ID!) { order(id: $id) { state } }', { id: orderId })).data.order.state as string;
    await eventually(async () => (await orderState()) === 'PAID', { timeoutMs: 30_000, what: 'order PAID' });
    const refund = await gql(accessToken, 'mutation($i: RefundPaymentInput!) { refundPayment(input: $i) { refund { state } userErrors { code } } }', {
      i: { paymentId: created.id, amountMinor: created.amount.minor, reason: 'customer complaint', idempotencyKey: `refund-${orderId}` },
    });
    expect(refund.data.refundPayment.userErrors).toEqual([]);
    await eventually(async () => (await orderState()) === 'REFUNDED', { timeoutMs: 30_000, what: 'order REFUNDED' });
  });
});
