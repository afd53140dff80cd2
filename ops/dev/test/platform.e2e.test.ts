import { randomUUID } from 'node:crypto';
import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually, uniqueName, PG_SUPERUSER_URL } from '@evcs/testkit';
import { dropDatabase } from '@evcs/platform';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { DemoTenant, Stack, startStack } from '../src/stack';

/**
 * The foundation slice, end to end, with every service a real process:
 * a simulated OCPP 1.6-J charger → bridge → Kafka → assets → Postgres → router query,
 * and → two router instances → graphql-ws subscribers.
 */
describe('end to end: one charger status, live through the whole platform', () => {
  let stack: Stack;
  const database = uniqueName('evcs_e2e');
  const tenantA: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_a'),
    name: 'Operator A',
    stations: [{ code: 'A-ST-1', name: 'Alpha Station', chargers: [{ code: 'E2E-A-CP1', connectors: 1 }] }],
  };
  const tenantB: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_b'),
    name: 'Operator B',
    stations: [{ code: 'B-ST-1', name: 'Bravo Station', chargers: [{ code: 'E2E-B-CP1', connectors: 1 }] }],
  };
  const clients: Client[] = [];
  let cp: SimulatedChargePoint | undefined;

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e'), ports: 'ephemeral', quiet: true, routers: 2 });
    await stack.seedTenant(tenantA);
    await stack.seedTenant(tenantB);
  });

  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await Promise.all(clients.map(async (c) => c.dispose()));
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  async function query(routerUrl: string, token: string | undefined, q: string) {
    const res = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: q }),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  interface Change {
    chargerCode: string;
    connectorNo: number;
    status: string;
    charger: { code: string; station: { name: string } | null } | null;
  }

  function subscribe(routerUrl: string, token: string): { received: Change[]; ready: Promise<void> } {
    const received: Change[] = [];
    const client = createClient({
      url: routerUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
    });
    clients.push(client);
    let opened!: () => void;
    const ready = new Promise<void>((r) => (opened = r));
    client.on('connected', () => opened());
    client.subscribe<{ connectorStatusChanged: Change }>(
      { query: 'subscription { connectorStatusChanged { chargerCode connectorNo status charger { code station { name } } } }' },
      {
        next: (msg) => {
          if (msg.data) received.push(msg.data.connectorStatusChanged);
        },
        error: (e) => {
          throw new Error(`subscription error: ${JSON.stringify(e)}`);
        },
        complete: () => undefined,
      },
    );
    return { received, ready };
  }

  it('refuses an unauthenticated query at the router', async () => {
    const r = await query(stack.routerUrls[0], undefined, '{ stations { id } }');
    expect(r.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('charger status flows from OCPP to Postgres, the router query, and subscribers on both router instances', async () => {
    const tokenA = await stack.tokenFor(tenantA.id);
    const tokenB = await stack.tokenFor(tenantB.id);
    const subA1 = subscribe(stack.routerUrls[0], tokenA);
    const subA2 = subscribe(stack.routerUrls[1], tokenA);
    const subB = subscribe(stack.routerUrls[0], tokenB);
    await Promise.all([subA1.ready, subA2.ready, subB.ready]);
    // give the subscription a moment to be registered server-side after the ack
    await new Promise((r) => setTimeout(r, 300));

    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: 'E2E-A-CP1' });
    await cp.connect();
    await cp.boot();
    for (const status of ['Available', 'Preparing', 'Charging'] as const) await cp.status(1, status);

    const STATUS_Q = '{ stations { name chargers { code online connectors { connectorNo status } } } }';
    const data = await eventually(
      async () => {
        const r = await query(stack.routerUrls[0], tokenA, STATUS_Q);
        return r.body.data?.stations?.[0]?.chargers?.[0]?.connectors?.[0]?.status === 'Charging' ? r.body.data : undefined;
      },
      { timeoutMs: 30_000, what: 'connector status Charging through the router' },
    );
    expect(data.stations).toEqual([
      { name: 'Alpha Station', chargers: [{ code: 'E2E-A-CP1', online: true, connectors: [{ connectorNo: 1, status: 'Charging' }] }] },
    ]);

    for (const sub of [subA1, subA2]) {
      await eventually(async () => sub.received.some((c) => c.status === 'Charging'), { timeoutMs: 30_000, what: 'subscriber got Charging' });
      expect(sub.received.map((c) => c.status)).toEqual(['Available', 'Preparing', 'Charging']);
      expect(sub.received[2]).toEqual({
        chargerCode: 'E2E-A-CP1',
        connectorNo: 1,
        status: 'Charging',
        charger: { code: 'E2E-A-CP1', station: { name: 'Alpha Station' } },
      });
    }
    // tenant B sees neither A's events nor A's stations
    expect(subB.received).toEqual([]);
    const rb = await query(stack.routerUrls[1], tokenB, STATUS_Q);
    expect(rb.body.data.stations.map((s: { name: string }) => s.name)).toEqual(['Bravo Station']);
  });
});
