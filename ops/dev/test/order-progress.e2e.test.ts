import { randomUUID } from 'node:crypto';
import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';
import { dropDatabase } from '@evcs/platform';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { eventually, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { DemoTenant, Stack, startStack } from '../src/stack';

interface Progress {
  readingAt: string | null;
  energy: { wh: string };
  powerW: number | null;
  cost: { minor: number; currency: string } | null;
}

/**
 * A live session, every service a real process: a driver (SELF) starts charging, subscribes
 * to orderProgress over graphql-ws at the router, the simulated OCPP charger sends meter
 * values → bridge → Kafka → orders (the reading) and the router (the wake-up) → the driver
 * gets the progress priced by the tariffs service. Staff of the tenant may watch it too;
 * another driver may not. The charger's and station's active orders through the gateway.
 */
describe('end to end: orderProgress over graphql-ws', () => {
  let stack: Stack;
  let cp: SimulatedChargePoint | undefined;
  const clients: Client[] = [];
  const database = uniqueName('evcs_e2e_progress');
  const code = `E2E-PRG-${randomUUID().slice(0, 6)}`;
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_progress'),
    name: 'Live Operator',
    users: [
      { username: 'olga', password: 'olga password 1', roles: ['OPERATOR_ADMIN'] },
      { username: 'dora', password: 'dora password 1', roles: [] },
      { username: 'erin', password: 'erin password 1', roles: [] },
    ],
    stations: [{ code: 'P-ST-1', name: 'Live Station', chargers: [{ code, connectors: 1 }] }],
  };

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e_progress'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(tenant);
  });
  afterAll(async () => {
    await Promise.all(clients.map(async (c) => c.dispose()));
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

  function watch(token: string, orderId: string) {
    const received: (Progress | null)[] = [];
    const errors: unknown[] = [];
    const client = createClient({
      url: stack.routerUrls[0].replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
    });
    clients.push(client);
    client.subscribe<{ orderProgress: Progress | null }>(
      {
        query: 'subscription($id: ID!) { orderProgress(orderId: $id) { readingAt energy { wh } powerW cost { minor currency } } }',
        variables: { id: orderId },
      },
      {
        next: (msg) => {
          if (msg.data) received.push(msg.data.orderProgress);
          if (msg.errors) errors.push(...msg.errors);
        },
        error: (e) => errors.push(e),
        complete: () => undefined,
      },
    );
    return { received, errors };
  }

  it('pushes the driver’s session progress at each meter reading, to the driver and staff only', async () => {
    const admin = (await stack.login(tenant.code, 'olga', 'olga password 1')).accessToken;
    const role = await gql(admin, 'mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { code message } } }', {
      i: { code: 'DRIVER', name: 'Driver', dataScope: 'SELF', permissions: ['order:read', 'order:write'] },
    });
    expect(role.data.createRole.userErrors).toEqual([]);
    const users = await gql(admin, '{ users { edges { node { id username } } } }');
    const idOf = (name: string) => users.data.users.edges.find((e: { node: { username: string } }) => e.node.username === name).node.id;
    for (const name of ['dora', 'erin']) {
      const assigned = await gql(admin, 'mutation($u: ID!, $r: [ID!]!) { assignRoles(userId: $u, roleIds: $r) { userErrors { code } } }', {
        u: idOf(name),
        r: [role.data.createRole.role.id],
      });
      expect(assigned.data.assignRoles.userErrors).toEqual([]);
    }
    const dora = (await stack.login(tenant.code, 'dora', 'dora password 1')).accessToken;
    const erin = (await stack.login(tenant.code, 'erin', 'erin password 1')).accessToken;

    const { passwords } = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: admin,
      stationCode: tenant.stations[0].code,
      ocpp: [code],
      ykc: [],
      connectors: 1,
    });
    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: code, password: passwords.get(code) });
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Available');
    const chargerId = (await gql(admin, 'query($c: String!) { chargerByCode(code: $c) { id } }', { c: code })).data.chargerByCode.id;

    const started = await gql(dora, 'mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id } userErrors { code message } } }', {
      i: { chargerId, connectorNo: 1, idempotencyKey: `e2e-${randomUUID()}` },
    });
    expect(started.data.startCharging.userErrors).toEqual([]);
    const orderId = started.data.startCharging.order.id;
    const remoteStart = await eventually(async () => cp!.commandsReceived.find((c) => c.action === 'RemoteStartTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStartTransaction at the charger',
    });
    const t0 = new Date(Date.now() - 60 * 60_000);
    const { transactionId } = await cp.startTransaction(1, String(remoteStart.params.idTag), 1000, t0);
    await eventually(async () => (await gql(dora, 'query($id: ID!) { order(id: $id) { state } }', { id: orderId })).data.order?.state === 'CHARGING', {
      timeoutMs: 30_000,
      what: 'order CHARGING',
    });

    const driver = watch(dora, orderId);
    const staff = watch(admin, orderId);
    const stranger = watch(erin, orderId);
    // Readings until both watchers have one (a subscription is live once the router has checked the order).
    let minute = 5;
    const last = await eventually(
      async () => {
        await cp!.meterValues(1, transactionId, 1000 + minute * 100, new Date(t0.getTime() + minute * 60_000));
        minute += 5;
        const d = driver.received.at(-1);
        return d && staff.received.length ? d : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'progress pushed to the driver and to staff' },
    );
    expect(last).toMatchObject({ powerW: 7200, cost: { currency: 'CNY' } });
    expect(Number(last!.energy.wh)).toBeGreaterThan(0);
    expect(last!.cost!.minor).toBeGreaterThanOrEqual(0);
    expect(Date.parse(last!.readingAt!)).toBeGreaterThan(t0.getTime());
    expect(driver.errors).toEqual([]);
    expect(stranger.received).toEqual([]);
    expect(JSON.stringify(stranger.errors)).toContain('NOT_FOUND');

    // A driver who subscribes once orders holds the last reading, with no reading after it: pushed
    // at once what the query shows (the subscription reads after subscribing, not only at a reading).
    const lastSent = new Date(t0.getTime() + (minute - 5) * 60_000).toISOString();
    const PROGRESS_AT = 'query($id: ID!) { order(id: $id) { progress { readingAt energy { wh } } } }';
    const queried = await eventually(
      async () => {
        const p = (await gql(dora, PROGRESS_AT, { id: orderId })).data.order.progress;
        return p?.readingAt === lastSent ? p : undefined;
      },
      { timeoutMs: 30_000, what: 'orders holding the last reading' },
    );
    const late = watch(dora, orderId);
    const first = await eventually(async () => late.received[0], { timeoutMs: 30_000, what: 'the current progress pushed at once to a late subscriber' });
    expect(first).toMatchObject({ readingAt: lastSent, energy: queried.energy, powerW: 7200 });
    expect(late.errors).toEqual([]);

    // The same session through the gateway: the charger's and the station's active orders, with progress and timeline.
    const live = await gql(
      admin,
      'query($c: String!) { chargerByCode(code: $c) { activeOrder { id } activeOrders { id progress { energy { wh } powerW } timeline { to source chargerMessage { type protocol occurredAt } } } station { activeOrders { id } } } }',
      { c: code },
    );
    expect(live.errors).toBeUndefined();
    const c = live.data.chargerByCode;
    expect(c.activeOrder).toEqual({ id: orderId });
    expect(c.activeOrders.map((o: { id: string }) => o.id)).toEqual([orderId]);
    expect(c.activeOrders[0].progress.powerW).toBe(7200);
    // The start the charger confirmed, behind the change it caused: the StartTransaction the bridge published.
    expect(c.activeOrders[0].timeline).toEqual([
      { to: 'PENDING', source: 'API', chargerMessage: null },
      { to: 'CHARGING', source: 'CHARGER', chargerMessage: { type: 'session.started', protocol: 'OCPP16', occurredAt: expect.any(String) } },
    ]);
    expect(Date.parse(c.activeOrders[0].timeline[1].chargerMessage.occurredAt)).toBe(t0.getTime());
    expect(c.station.activeOrders).toEqual([{ id: orderId }]);
  });
});
