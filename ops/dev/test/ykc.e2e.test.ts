import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase } from '@evcs/platform';
import { runSimulators, SimulatedYkcPile, SimulatorFleet } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { eventually, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { DEMO_YKC_PILE, demoOperator, demoPasswords, demoPlatform, demoSimulators } from '../src/demo';
import { DemoTenant, Stack, startStack } from '../src/stack';

/** The demo plan (tariffs' DEMO_SEGMENTS), electricity + service per kWh in fen ×100, by the Shanghai hour it starts at. */
function demoRateX1e4(at: Date): number {
  const hour = (at.getUTCHours() + 8) % 24;
  if (hour < 8) return 6800 + 3500;
  if (hour < 18) return 8500 + 4000;
  return 7800 + 3800;
}
/**
 * A session start `minutes` ago, moved up past the demo plan's price change if one lies between
 * it and now: the expected amounts below assume one rate for the whole session.
 */
function startWithinOneRate(minutes: number): Date {
  const now = Date.now();
  let at = now - minutes * 60_000;
  while (at < now - 1_000 && demoRateX1e4(new Date(at)) !== demoRateX1e4(new Date(now))) at += 15_000;
  return new Date(at);
}
/** kWh ×10^4 × rate (yuan ×10^4 per kWh) → yuan, rounded half-up to the fen. */
const yuan = (energyX1e4: number, rateX1e4: number): string => {
  const x1e8 = energyX1e4 * rateX1e4;
  const fen = Math.floor((x1e8 + 500_000) / 1_000_000);
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
};

/**
 * YKC piles over real TCP against every service as a real process: a session started through
 * the API (0x34 with what it may spend → 0x33 → CHARGING, 0x13 energy, stopCharging → 0x36 →
 * 0x35, 0x3B resent after its 0x40), a session the pile starts itself, a record for a serial
 * the platform never saw — each priced by the tariffs engine from what the pile reported — and
 * the `npm start` demo's pile, whose orders have energy and an amount.
 */
describe('end to end: YKC sessions are started, stopped and billed', () => {
  let stack: Stack;
  let pile: SimulatedYkcPile | undefined;
  let fleet: SimulatorFleet | undefined;
  let ocppFleet: SimulatorFleet | undefined;
  const database = uniqueName('evcs_e2e_ykc');
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'evcs-ykc-e2e-'));
  const PILE = '33010000000001';
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_ykc'),
    name: 'YKC Operator',
    users: [{ username: 'yan', password: 'yan password 1', roles: ['OPERATOR_ADMIN'] }],
    stations: [{ code: 'Y-ST-1', name: 'YKC Station', chargers: [{ code: PILE, connectors: 2, protocol: 'YKC' }] }],
  };
  const passwords = demoPasswords(cacheDir);
  const demo = demoOperator(passwords);

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e_ykc'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(tenant);
    await stack.seedTenant(demoPlatform(passwords));
    await stack.seedTenant(demo);
  });
  afterAll(async () => {
    await fleet?.stop().catch(() => undefined);
    await ocppFleet?.stop().catch(() => undefined);
    await pile?.close().catch(() => undefined);
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
    rmSync(cacheDir, { recursive: true, force: true });
  });

  async function gql(token: string, query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }
  const ORDER = `query($id: ID!) { order(id: $id) { id state origin transactionId startedAt stoppedAt energy { kwh } amount { minor formatted } preAuthorizedAmount { minor formatted } reviewFlags
    bill { total { minor formatted } items { energy { wh } } }
    chargerBill { amount { formatted } amountExact energy { kwh } meterStart { kwh } meterStop { kwh } tiers { tier energy { kwh } amount { formatted } } } } }`;

  it('an API-started session: 0x34 → 0x33 CHARGING, 0x13, stopCharging → 0x36/0x35, the 0x3B (resent after its 0x40) priced to the cent', async () => {
    const { accessToken } = await stack.login(tenant.code, 'yan', 'yan password 1');
    // Commissioned like any pile: its login identity registered through the operator's API.
    const registered = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: tenant.stations[0].code,
      ocpp: [],
      ykc: [{ pileNo: PILE, guns: 2 }],
      connectors: 2,
    });
    expect(registered.refused).toEqual([]);
    pile = new SimulatedYkcPile({ ...stack.ykcAddress, pileNo: PILE, guns: 2 });
    await pile.connect();
    expect(await pile.login()).toBe(true);
    // the pile takes the platform's billing model: it bills as the platform prices
    expect(await pile.syncBillingModel()).not.toBe('0000');
    const chargerId = (await gql(accessToken, 'query($c: String!) { chargerByCode(code: $c) { id protocol } }', { c: PILE })).chargerByCode.id;

    const before = new Date();
    const started = await gql(
      accessToken,
      'mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id state transactionId preAuthorizedAmount { minor currency formatted } } userErrors { code message } } }',
      {
        i: { chargerId, connectorNo: 1, idempotencyKey: `ykc-${randomUUID()}`, preAuthorizedAmountMinor: 5000 },
      },
    );
    expect(started.startCharging.userErrors).toEqual([]);
    const { id: orderId, transactionId: serial } = started.startCharging.order;
    expect(started.startCharging.order).toMatchObject({ state: 'PENDING', preAuthorizedAmount: { minor: 5000, currency: 'CNY', formatted: '50.00' } });
    // pile + gun + yyMMddHHmmss (Shanghai) + counter
    expect(serial).toMatch(new RegExp(`^${PILE}01\\d{12}0001$`));
    // …on the station's clock (assets: Asia/Shanghai)
    const stamp = serial.slice(16, 28);
    expect(stamp >= shanghaiStamp(before) && stamp <= shanghaiStamp(new Date())).toBe(true);

    const start = await eventually(async () => pile!.received.find((r) => r.type === 0x34), { timeoutMs: 30_000, what: '0x34 at the pile' });
    expect(start.message).toMatchObject({ serial, gunNo: '01', balanceX100: 5000 });
    await eventually(async () => (await gql(accessToken, ORDER, { id: orderId })).order.state === 'CHARGING', {
      timeoutMs: 30_000,
      what: 'order CHARGING after 0x33',
    });

    // 0x13 twice while charging: energy since start, kept as readings
    pile.charge(1, 20_000);
    pile.reportRealTime(1);
    pile.charge(1, 32_340);
    pile.reportRealTime(1);
    const stop = await gql(accessToken, 'mutation($id: ID!) { stopCharging(orderId: $id) { order { state } userErrors { code } } }', { id: orderId });
    expect(stop.stopCharging).toEqual({ order: { state: 'FINISHING' }, userErrors: [] });
    await eventually(async () => pile!.received.find((r) => r.type === 0x36), { timeoutMs: 30_000, what: '0x36 at the pile' });
    const confirmed = await eventually(async () => pile!.recordsSent.has(serial) && !pile!.unconfirmed.has(serial), {
      timeoutMs: 30_000,
      what: '0x40 for the record',
    });
    expect(confirmed).toBe(true);
    const record = pile.recordsSent.get(serial)!;
    expect(record).toMatchObject({ totalEnergyX1e4: 52_340, meterStopX1e4: record.meterStartX1e4 + 52_340 });

    const done = await eventually(
      async () => {
        const o = (await gql(accessToken, ORDER, { id: orderId })).order;
        return o.state === 'TO_PAY' ? o : undefined;
      },
      { timeoutMs: 30_000, what: 'order TO_PAY' },
    );
    const rate = demoRateX1e4(record.startedAt);
    expect(done).toMatchObject({ origin: 'API', transactionId: serial, energy: { kwh: '5.234' }, amount: { formatted: yuan(52_340, rate) }, reviewFlags: [] });
    expect(done.bill.total).toEqual(done.amount);
    expect(new Date(done.startedAt).getTime()).toBe(record.startedAt.getTime());
    expect(new Date(done.stoppedAt).getTime()).toBe(record.endedAt.getTime());
    // the pile's bill beside the platform's, the same to 10^-4 yuan
    expect(done.chargerBill).toMatchObject({
      energy: { kwh: '5.234' },
      meterStart: { kwh: whKwh(record.meterStartX1e4) },
      meterStop: { kwh: whKwh(record.meterStopX1e4) },
    });
    expect(toFen(done.chargerBill.amountExact)).toBe(done.amount.formatted);
    expect(done.chargerBill.amount.formatted).toBe(done.amount.formatted);

    // The pile resends the record (our 0x40 lost, as far as it knows): confirmed again, billed once.
    const again = await pile.sendRecord(record);
    expect(again).toEqual({ serial, accepted: true });
    await new Promise((r) => setTimeout(r, 2000));
    const after = (await gql(accessToken, ORDER, { id: orderId })).order;
    expect(after).toMatchObject({ state: 'TO_PAY', amount: done.amount, energy: { kwh: '5.234' } });
  });

  it('a session the pile starts itself, and a record for a serial the platform never saw: orders of origin CHARGER, priced the same way', async () => {
    const { accessToken } = await stack.login(tenant.code, 'yan', 'yan password 1');
    const chargerId = (await gql(accessToken, 'query($c: String!) { chargerByCode(code: $c) { id } }', { c: PILE })).chargerByCode.id;
    // a card start: first seen in 0x13
    const card = `${PILE}02${'261201120000'}0101`;
    pile!.startSession(2, card, { startType: 2, at: startWithinOneRate(5) });
    pile!.charge(2, 10_000);
    pile!.reportRealTime(2);
    const charging = await eventually(
      async () => {
        const list = await gql(accessToken, 'query($c: [ID!]) { orders(filter: { chargerIds: $c }) { edges { node { id transactionId origin state } } } }', {
          c: [chargerId],
        });
        return list.orders.edges.map((e: any) => e.node).find((n: any) => n.transactionId === card && n.state === 'CHARGING');
      },
      { timeoutMs: 30_000, what: 'the card session CHARGING' },
    );
    expect(charging.origin).toBe('CHARGER');
    pile!.charge(2, 20_000);
    const cardRecord = pile!.stopSession(2)!;
    await pile!.sendRecord(cardRecord);

    // an offline start: the platform hears of it only through its record
    const offline = `${PILE}02${'261201120500'}0102`;
    pile!.startSession(2, offline, { startType: 4, at: startWithinOneRate(3) });
    pile!.charge(2, 7_770);
    const offlineRecord = pile!.stopSession(2)!;
    await pile!.sendRecord(offlineRecord);

    for (const [serial, rec, kwh] of [
      [card, cardRecord, '3.000'],
      [offline, offlineRecord, '0.777'],
    ] as const) {
      const o = await eventually(
        async () => {
          const list = await gql(
            accessToken,
            'query($c: [ID!]) { orders(filter: { chargerIds: $c }, first: 50) { edges { node { id transactionId state } } } }',
            { c: [chargerId] },
          );
          const n = list.orders.edges.map((e: any) => e.node).find((x: any) => x.transactionId === serial && x.state === 'TO_PAY');
          return n ? (await gql(accessToken, ORDER, { id: n.id })).order : undefined;
        },
        { timeoutMs: 30_000, what: `order of ${serial} TO_PAY` },
      );
      expect(o).toMatchObject({
        origin: 'CHARGER',
        energy: { kwh },
        amount: { formatted: yuan(rec.totalEnergyX1e4, demoRateX1e4(rec.startedAt)) },
        reviewFlags: [],
      });
    }
  });

  it("the npm start demo's YKC pile: its orders have energy and an amount", async () => {
    const { accessToken } = await stack.login(demo.code, 'admin', passwords.operatorAdmin);
    // As npm start does: the demo pile's identity registered through the API before it logs in.
    const registered = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: demo.stations[0].code,
      ocpp: [],
      ykc: [{ pileNo: DEMO_YKC_PILE, guns: 2 }],
      connectors: 2,
    });
    expect(registered.refused).toEqual([]);
    fleet = await runSimulators({ ...demoSimulators(stack, demo, { intervalMs: 500, meterValuesPerSession: 3 }), count: 0 });
    const chargerId = (await gql(accessToken, 'query($c: String!) { chargerByCode(code: $c) { id } }', { c: DEMO_YKC_PILE })).chargerByCode.id;
    const billed = await eventually(
      async () => {
        const list = await gql(
          accessToken,
          'query($c: [ID!]) { orders(filter: { chargerIds: $c, states: [TO_PAY] }) { edges { node { id energy { kwh } amount { minor formatted } reviewFlags chargerBill { amountExact } } } } }',
          {
            c: [chargerId],
          },
        );
        const nodes = list.orders.edges.map((e: any) => e.node);
        return nodes.length >= 2 ? nodes : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'two billed orders of the demo pile' },
    );
    for (const o of billed) {
      expect(Number(o.energy.kwh)).toBeGreaterThan(0);
      expect(o.amount.minor).toBeGreaterThan(0);
      expect(o.reviewFlags).toEqual([]);
      expect(toFen(o.chargerBill.amountExact)).toBe(o.amount.formatted);
    }
  });

  it("the npm start demo's OCPP chargers follow the API: startCharging → CHARGING with the start's id tag, stopCharging → priced", async () => {
    const { accessToken } = await stack.login(demo.code, 'admin', passwords.operatorAdmin);
    const code = 'DEMO-CP-0001';
    const registered = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: demo.stations[0].code,
      ocpp: [code],
      ykc: [],
      connectors: 2,
    });
    expect(registered.refused).toEqual([]);
    // Only what the platform asks: no sessions of the simulator's own on the same connectors.
    ocppFleet = await runSimulators({
      url: stack.bridgeUrl,
      count: 1,
      prefix: 'DEMO-CP-',
      connectors: 2,
      intervalMs: 300,
      scriptedSessions: false,
      password: (id) => registered.passwords.get(id),
    });
    const chargerId = (await gql(accessToken, 'query($c: String!) { chargerByCode(code: $c) { id online } }', { c: code })).chargerByCode.id;
    await eventually(async () => (await gql(accessToken, 'query($c: String!) { chargerByCode(code: $c) { online } }', { c: code })).chargerByCode.online, {
      timeoutMs: 30_000,
      what: `${code} online`,
    });
    const started = await gql(
      accessToken,
      'mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id state } userErrors { code message } } }',
      { i: { chargerId, connectorNo: 1, idempotencyKey: `demo-follow-${randomUUID()}` } },
    );
    expect(started.startCharging.userErrors).toEqual([]);
    const orderId = started.startCharging.order.id as string;
    const charging = await eventually(
      async () => {
        const o = (await gql(accessToken, 'query($id: ID!) { order(id: $id) { state transactionId origin } }', { id: orderId })).order;
        return o.state === 'CHARGING' ? o : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'the remote start confirmed by StartTransaction' },
    );
    expect(charging).toMatchObject({ origin: 'API', transactionId: expect.any(String) });
    // it keeps charging until the platform stops it
    await new Promise((r) => setTimeout(r, 1500));
    const stop = await gql(accessToken, 'mutation($id: ID!) { stopCharging(orderId: $id) { order { id } userErrors { code message } } }', { id: orderId });
    expect(stop.stopCharging.userErrors).toEqual([]);
    const billed = await eventually(
      async () => {
        const o = (await gql(accessToken, 'query($id: ID!) { order(id: $id) { state energy { kwh } amount { minor } } }', { id: orderId })).order;
        return o.state === 'TO_PAY' ? o : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'the remote stop confirmed by StopTransaction and priced' },
    );
    expect(Number(billed.energy.kwh)).toBeGreaterThan(0);
    expect(billed.amount.minor).toBeGreaterThan(0);
  });
});

/** kWh ×10^4 → kWh with 3 decimals as orders shows it (Wh, half-up). */
function whKwh(x1e4: number): string {
  const wh = Math.floor((x1e4 + 5) / 10);
  return `${Math.floor(wh / 1000)}.${String(wh % 1000).padStart(3, '0')}`;
}

/** "6.5425" (yuan, 4 decimals) → "6.54", half-up, exactly. */
function toFen(amount: string): string {
  const [i, f = ''] = amount.split('.');
  const x1e4 = Number(i) * 10_000 + Number(f.padEnd(4, '0').slice(0, 4));
  const fen = Math.floor((x1e4 + 50) / 100);
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** yyMMddHHmmss in Shanghai (UTC+8, no daylight saving). */
function shanghaiStamp(at: Date): string {
  const iso = new Date(at.getTime() + 8 * 3600_000).toISOString();
  return iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19);
}
