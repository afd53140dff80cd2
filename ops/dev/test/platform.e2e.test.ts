import { randomUUID } from 'node:crypto';
import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually, uniqueName, PG_SUPERUSER_URL } from '@evcs/testkit';
import { dropDatabase } from '@evcs/platform';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
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
    users: [{ username: 'alice', password: 'alice password 1', roles: ['OPERATOR_ADMIN'] }],
    stations: [{ code: 'A-ST-1', name: 'Alpha Station', chargers: [{ code: 'E2E-A-CP1', connectors: 1 }] }],
  };
  const tenantB: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_b'),
    name: 'Operator B',
    users: [{ username: 'bob', password: 'bob password 12', roles: ['VIEWER'] }],
    quotas: { maxStations: 2, maxChargers: 1 },
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

  const STATUS_Q = '{ stations { edges { node { name chargers { code online connectors { connectorNo status } } } } } }';
  interface StationView {
    name: string;
    chargers: { code: string; online: boolean; connectors: { connectorNo: number; status: string }[] }[];
  }
  const stationsOf = (body: any): StationView[] => (body?.data?.stations?.edges ?? []).map((e: { node: StationView }) => e.node);

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
    const r = await query(stack.routerUrls[0], undefined, '{ stations { totalCount } }');
    expect(r.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('signs in through the router, refreshes, and answers me; a forged tenant header changes nothing; a reused refresh token revokes the access tokens', async () => {
    const { accessToken, refreshToken } = await stack.login(tenantA.code, 'alice', 'alice password 1');
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}`, 'x-tenant-id': tenantB.id },
      body: JSON.stringify({ query: '{ me { tenantId roles user { username } } stations { edges { node { name } } } }' }),
    });
    const body = (await res.json()) as any;
    expect(body.data).toEqual({
      me: { tenantId: tenantA.id, roles: ['OPERATOR_ADMIN'], user: { username: 'alice' } },
      stations: { edges: [{ node: { name: 'Alpha Station' } }] },
    });
    const refreshed = await query(
      stack.routerUrls[1],
      undefined,
      `mutation { refreshToken(refreshToken: ${JSON.stringify(refreshToken)}) { accessToken userErrors { code } } }`,
    );
    expect(refreshed.body.data.refreshToken.userErrors).toEqual([]);
    const again = await query(
      stack.routerUrls[1],
      undefined,
      `mutation { refreshToken(refreshToken: ${JSON.stringify(refreshToken)}) { accessToken userErrors { code } } }`,
    );
    expect(again.body.data.refreshToken.userErrors).toEqual([{ code: 'TOKEN_REUSED' }]);
    // whoever copied the refresh token may hold access tokens minted with it: alice's are revoked,
    // at both routers (tenants outbox → Kafka → every router instance)
    for (const url of stack.routerUrls) {
      const refused = await eventually(
        async () => {
          const r = await query(url, accessToken, '{ me { tenantId } }');
          return r.status === 401 ? r : undefined;
        },
        { what: 'the revoked access token refused', timeoutMs: 30_000 },
      );
      expect(refused.body.errors[0].extensions.code).toBe('TOKEN_REVOKED');
    }
    const fresh = (await stack.login(tenantA.code, 'alice', 'alice password 1')).accessToken;
    // a client claiming another address with the router's own header is not believed
    const wrongRes = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-evcs-client-ip': '203.0.113.9' },
      body: JSON.stringify({
        query: `mutation { login(input: { tenantCode: ${JSON.stringify(tenantA.code)}, username: "alice", password: "nope nope nope" }) { accessToken userErrors { code } } }`,
      }),
    });
    const wrong = { body: (await wrongRes.json()) as any };
    expect(wrong.body.data.login).toEqual({ accessToken: null, userErrors: [{ code: 'INVALID_CREDENTIALS' }] });
    // the failure is in tenant A's audit log, with the client's address as the router saw it
    const log = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fresh}` },
      body: JSON.stringify({ query: '{ auditEvents(filter: { types: ["LOGIN_FAILED"] }) { edges { node { ip details } } } }' }),
    });
    const events = ((await log.json()) as any).data.auditEvents.edges;
    expect(events).toHaveLength(1);
    expect(events[0].node).toMatchObject({ ip: '127.0.0.1', details: { reason: 'BAD_PASSWORD', username: 'alice' } });
  });

  it('charger status flows from OCPP to Postgres, the router query, and subscribers on both router instances', async () => {
    const tokenA = (await stack.login(tenantA.code, 'alice', 'alice password 1')).accessToken;
    const tokenB = (await stack.login(tenantB.code, 'bob', 'bob password 12')).accessToken;
    const subA1 = subscribe(stack.routerUrls[0], tokenA);
    const subA2 = subscribe(stack.routerUrls[1], tokenA);
    const subB = subscribe(stack.routerUrls[0], tokenB);
    await Promise.all([subA1.ready, subA2.ready, subB.ready]);
    // give the subscription a moment to be registered server-side after the ack
    await new Promise((r) => setTimeout(r, 300));

    const { passwords } = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: tokenA,
      stationCode: 'A-ST-1',
      ocpp: ['E2E-A-CP1'],
      ykc: [],
      connectors: 1,
    });
    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: 'E2E-A-CP1', password: passwords.get('E2E-A-CP1') });
    await cp.connect();
    await cp.boot();
    for (const status of ['Available', 'Preparing', 'Charging'] as const) await cp.status(1, status);

    const data = await eventually(
      async () => {
        const r = await query(stack.routerUrls[0], tokenA, STATUS_Q);
        return stationsOf(r.body)[0]?.chargers?.[0]?.connectors?.[0]?.status === 'Charging' ? r.body : undefined;
      },
      { timeoutMs: 30_000, what: 'connector status Charging through the router' },
    );
    expect(stationsOf(data)).toEqual([
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
    expect(stationsOf(rb.body).map((s) => s.name)).toEqual(['Bravo Station']);
  });

  it('station aggregates, and a lost charger shows Offline connectors (with history), through the router', async () => {
    const tokenA = await stack.tokenFor(tenantA.id);
    const STATS_Q = '{ stations { edges { node { name stats { chargersTotal chargersOnline onlineRate connectorsByStatus { status count } } } } } }';
    const online = await query(stack.routerUrls[0], tokenA, STATS_Q);
    expect(online.body.errors).toBeUndefined();
    expect(online.body.data.stations.edges[0].node).toEqual({
      name: 'Alpha Station',
      stats: { chargersTotal: 1, chargersOnline: 1, onlineRate: 1, connectorsByStatus: [{ status: 'Charging', count: 1 }] },
    });
    await cp?.close();
    cp = undefined;
    const offline = await eventually(
      async () => {
        const r = await query(stack.routerUrls[0], tokenA, STATUS_Q);
        // charger and connectors are read by separate batched queries: wait until both show the disconnect
        const cp1 = stationsOf(r.body)[0]?.chargers?.[0];
        return cp1?.connectors?.[0]?.status === 'Offline' && cp1.online === false ? r.body : undefined;
      },
      { timeoutMs: 30_000, what: 'connector Offline after the charger disconnected' },
    );
    expect(stationsOf(offline)[0].chargers[0]).toEqual({ code: 'E2E-A-CP1', online: false, connectors: [{ connectorNo: 1, status: 'Offline' }] });
    const hist = await query(stack.routerUrls[0], tokenA, '{ chargerByCode(code: "E2E-A-CP1") { connectors { statusHistory(last: 2) { status } } } }');
    expect(hist.body.data.chargerByCode.connectors[0].statusHistory).toEqual([{ status: 'Offline' }, { status: 'Charging' }]);
  });

  it('asset writes through the router: update a seeded station; creations checked against the quotas the tenants subgraph holds', async () => {
    const tokenB = await stack.tokenFor(tenantB.id);
    const list = await query(stack.routerUrls[0], tokenB, '{ stations { edges { node { id version } } } }');
    const { id, version } = list.body.data.stations.edges[0].node as { id: string; version: number };
    const upd = await query(
      stack.routerUrls[0],
      tokenB,
      `mutation { updateStation(id: "${id}", input: { name: "Bravo Renamed", status: MAINTENANCE }, expectedVersion: ${version}) { station { name status version } userErrors { code field } } }`,
    );
    expect(upd.body.data.updateStation).toEqual({ station: { name: 'Bravo Renamed', status: 'MAINTENANCE', version: version + 1 }, userErrors: [] });

    // assets asks the tenants subgraph (service token, issuer evcs-assets) for B's quotas: 2 stations, 1 charger
    const create = (code: string) =>
      query(stack.routerUrls[0], tokenB, `mutation { createStation(input: { code: "${code}", name: "New" }) { station { id code } userErrors { code } } }`);
    const second = await create('B-ST-2');
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data.createStation).toEqual({ station: { id: expect.any(String), code: 'B-ST-2' }, userErrors: [] });
    expect((await create('B-ST-3')).body.data.createStation).toEqual({ station: null, userErrors: [{ code: 'QUOTA_EXCEEDED' }] });
    const charger = await query(
      stack.routerUrls[0],
      tokenB,
      `mutation { createCharger(input: { stationId: "${second.body.data.createStation.station.id}", code: "E2E-B-CP2", protocol: OCPP16, currentType: AC, ratedPowerKw: "7.4" }) { charger { code } userErrors { code } } }`,
    );
    // B already has its one charger
    expect(charger.body.data.createCharger).toEqual({ charger: null, userErrors: [{ code: 'QUOTA_EXCEEDED' }] });
  });
});
