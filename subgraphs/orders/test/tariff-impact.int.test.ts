import { randomUUID } from 'node:crypto';
import {
  createKnex,
  createLogger,
  generateSigningKey,
  Identity,
  internalTokenVerifier,
  issuerBoundJwks,
  Knex,
  listen,
  ServiceGraphQLClient,
  SubgraphServer,
  TokenIssuer,
  withTenant,
} from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { createTariffsServer, migrations as tariffsMigrations, OrdersCompletedSessions, TariffsServer } from '@evcs/tariffs';
import { createOrdersServer, migrations } from '../src';

/**
 * tariffImpact end to end between the two real subgraphs (no router): tariffs re-prices the
 * station's completed sessions it pages out of orders' service-only completedSessionsForPricing.
 */
describe('tariffImpact: a draft re-priced over orders’ completed sessions (real HTTP, real Postgres)', () => {
  let db: TestDatabase;
  let ordersKnex: Knex;
  let tariffsKnex: Knex;
  let orders: SubgraphServer;
  let tariffs: TariffsServer;
  let smallPages: TariffsServer;
  let router: TokenIssuer;
  let ordersSigner: TokenIssuer;
  let tariffsSigner: TokenIssuer;
  let ordersUrl: string;
  let tariffsUrl: string;
  let smallPagesUrl: string;
  const A = randomUUID();
  const B = randomUUID();
  const S = randomUUID();
  const other = randomUUID();
  const charger = randomUUID();
  // local Shanghai time (UTC+8) on 2026-11-20 → UTC instant
  const sh = (h: number, m = 0) => new Date(Date.UTC(2026, 10, 20, h - 8, m));
  const from = sh(0);
  const to = sh(24);

  // 00:00–08:00 at 0.30, 08:00–24:00 at 1.00 (service 0): a session's readings decide what falls where
  const DRAFT = [
    { start: '00:00', end: '08:00', energyPrice: '0.3000', serviceFee: '0.0000' },
    { start: '08:00', end: '24:00', energyPrice: '1.0000', serviceFee: '0.0000' },
  ];

  async function order(tenant: string, o: Record<string, unknown>, readings: [Date, number][] = []): Promise<void> {
    await withTenant(ordersKnex, tenant, async (trx) => {
      const id = randomUUID();
      await trx('orders.orders').insert({
        id,
        tenant_id: tenant,
        station_id: S,
        charger_id: charger,
        charger_code: 'C1',
        connector_no: 1,
        origin: 'CHARGER',
        transaction_id: randomUUID(),
        state: 'COMPLETED',
        currency: 'CNY',
        meter_start_wh: 0,
        ...o,
      });
      for (const [at, wh] of readings) await trx('orders.meter_readings').insert({ tenant_id: tenant, order_id: id, at, register_wh: wh });
    });
  }

  beforeAll(async () => {
    db = await createTestDatabase([migrations, tariffsMigrations]);
    ordersKnex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
    tariffsKnex = createKnex({ connectionString: db.appUrl, schema: 'tariffs', pool: { max: 4 } });
    const routerKey = await generateSigningKey('router-k');
    const tariffsKey = await generateSigningKey('tariffs-k');
    const ordersKey = await generateSigningKey('orders-k');
    router = new TokenIssuer(routerKey, 'evcs-router');
    tariffsSigner = new TokenIssuer(tariffsKey, 'evcs-tariffs');
    ordersSigner = new TokenIssuer(ordersKey, 'evcs-orders');
    const verifier = internalTokenVerifier(
      issuerBoundJwks({ 'evcs-router': [routerKey.publicJwk], 'evcs-tariffs': [tariffsKey.publicJwk], 'evcs-orders': [ordersKey.publicJwk] }),
    );
    orders = await createOrdersServer({
      knex: ordersKnex,
      verifier,
      logger: createLogger('orders-impact-test', { level: 'silent' }),
      pricer: { price: async () => Promise.reject(new Error('not used')) },
      chargers: { byId: async () => null, byCode: async () => null },
    });
    ordersUrl = `http://127.0.0.1:${await listen(orders.server, 0)}/graphql`;
    const sessions = new OrdersCompletedSessions(new ServiceGraphQLClient({ url: ordersUrl, tokens: tariffsSigner, subject: 'tariffs' }));
    const logger = createLogger('tariffs-impact-test', { level: 'silent' });
    tariffs = await createTariffsServer({ knex: tariffsKnex, verifier, logger, sessions });
    tariffsUrl = `http://127.0.0.1:${await listen(tariffs.server, 0)}/graphql`;
    // the same, paging two sessions at a time: the keyset cursor must neither skip nor repeat one
    smallPages = await createTariffsServer({ knex: tariffsKnex, verifier, logger, sessions, impactPageSize: 2 });
    smallPagesUrl = `http://127.0.0.1:${await listen(smallPages.server, 0)}/graphql`;

    // A, station S, in the window:
    // 07:00–09:00 with readings: 9 kWh before 08:00, 1 kWh after → draft 9×0.30 + 1×1.00 = 3.70 (spread evenly it would be 6.50); billed 5.00
    await order(A, { started_at: sh(7), stopped_at: sh(9), meter_stop_wh: 10_000, energy_wh: 10_000, amount: '5.00', state: 'PAID' }, [
      [sh(7), 0],
      [sh(8), 9_000],
      [sh(9), 10_000],
    ]);
    // 07:30–07:45 without readings: 1 kWh → 0.30; billed 0.50
    await order(A, { started_at: sh(7, 30), stopped_at: sh(7, 45), meter_stop_wh: 1_000, energy_wh: 1_000, amount: '0.50' });
    // 20:00–21:00, 3.333 kWh → 3.333 (rounded once, half-up: 3.33); billed 2.00
    await order(A, { started_at: sh(20), stopped_at: sh(21), meter_stop_wh: 3_333, energy_wh: 3_333, amount: '2.00', state: 'REFUNDED' });
    // 23:00–01:00 next day, 2 kWh spread evenly: 1 at 1.00 + 1 at 0.30 = 1.30; billed 1.30
    await order(A, { started_at: sh(23), stopped_at: sh(25), meter_stop_wh: 2_000, energy_wh: 2_000, amount: '1.30', state: 'TO_PAY' });
    // not compared: still charging, failed, before the window, another station
    await order(A, { started_at: sh(10), state: 'CHARGING' });
    await order(A, { started_at: sh(11), state: 'FAILED' });
    await order(A, { started_at: sh(-1), stopped_at: sh(0), meter_stop_wh: 1_000, energy_wh: 1_000, amount: '9.00' });
    await order(A, { station_id: other, started_at: sh(12), stopped_at: sh(13), meter_stop_wh: 1_000, energy_wh: 1_000, amount: '9.00' });
    // tenant B, at a station with the same id: never in A's answer
    await order(B, { started_at: sh(12), stopped_at: sh(13), meter_stop_wh: 4_000, energy_wh: 4_000, amount: '99.00' });
  });
  afterAll(async () => {
    await tariffs?.stop();
    await smallPages?.stop();
    await orders?.stop();
    await tariffsKnex?.destroy();
    await ordersKnex?.destroy();
    await db?.drop();
  });

  const user = (tenantId: string, extra: Partial<Identity> = {}) =>
    router.issue({
      subject: 'admin',
      kind: 'user',
      tenantId,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['tariff:read', 'tariff:write'],
      dataScope: 'TENANT',
      ...extra,
    });
  async function gql(url: string, token: string, query: string, variables: Record<string, unknown>) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }
  const M = '{ minor currency formatted }';
  const T = `sessions energy { wh } billed ${M} draft ${M} difference ${M}`;
  const IMPACT = `query($input: TariffImpactInput!) { tariffImpact(input: $input) {
    impact { stationId from to currency timezone otherCurrencySessions unpricedSessions total { ${T} } hours { hour ${T} } }
    userErrors { code field message } } }`;
  const input = (extra: Record<string, unknown> = {}) => ({
    stationId: S,
    segments: DRAFT,
    timezone: 'Asia/Shanghai',
    from: from.toISOString(),
    to: to.toISOString(),
    ...extra,
  });
  const impactOf = async (tenant: string, url = tariffsUrl, extra: Partial<Identity> = {}, i = input()) =>
    (await gql(url, await user(tenant, extra), IMPACT, { input: i })).data.tariffImpact;

  it('sums exact draft totals and per-local-hour differences over the completed sessions, priced from their readings', async () => {
    const r = await impactOf(A);
    expect(r.userErrors).toEqual([]);
    const i = r.impact;
    expect(i).toMatchObject({ stationId: S, currency: 'CNY', timezone: 'Asia/Shanghai', otherCurrencySessions: 0, unpricedSessions: 0 });
    // draft 3.70 + 0.30 + 3.33 + 1.30 = 8.63; billed 5.00 + 0.50 + 2.00 + 1.30 = 8.80
    expect(i.total).toEqual({
      sessions: 4,
      energy: { wh: '16333' },
      billed: { minor: 880, currency: 'CNY', formatted: '8.80' },
      draft: { minor: 863, currency: 'CNY', formatted: '8.63' },
      difference: { minor: -17, currency: 'CNY', formatted: '-0.17' },
    });
    expect(i.hours).toHaveLength(24);
    expect(i.hours.map((h: any) => h.hour)).toEqual([...Array(24).keys()]);
    const hour = (n: number) => i.hours[n];
    // both 07:xx sessions (Shanghai) fall in hour 7, though they started on the previous UTC day
    expect(hour(7)).toMatchObject({ sessions: 2, billed: { minor: 550 }, draft: { minor: 400 }, difference: { minor: -150 } });
    expect(hour(20)).toMatchObject({ sessions: 1, draft: { minor: 333 }, difference: { minor: 133 } });
    expect(hour(23)).toMatchObject({ sessions: 1, draft: { minor: 130 }, difference: { minor: 0 } });
    expect(hour(12)).toMatchObject({ sessions: 0, billed: { minor: 0 }, draft: { minor: 0 } });
    // the hours add up to the total
    expect(i.hours.reduce((a: number, h: any) => a + h.difference.minor, 0)).toBe(-17);
  });

  it('pages with keyset cursors: two sessions a page gives the same answer', async () => {
    expect(await impactOf(A, smallPagesUrl)).toEqual(await impactOf(A));
  });

  it("answers only the caller's tenant's sessions, whatever the station id", async () => {
    const b = await impactOf(B);
    expect(b.impact.total).toMatchObject({ sessions: 1, billed: { minor: 9900 }, draft: { minor: 400 } });
  });

  it('refuses a draft with the same user errors as createTariffPlan, and a bad window or station', async () => {
    const bad = [
      { start: '00:00', end: '08:10', energyPrice: '0.3', serviceFee: '0' },
      { start: '08:00', end: '20:00', energyPrice: '-1', serviceFee: '0' },
    ];
    const r = await impactOf(A, tariffsUrl, {}, input({ segments: bad, timezone: 'Mars/Base', currency: 'XXX' }));
    const created = await gql(
      tariffsUrl,
      await user(A),
      `mutation($input: CreateTariffPlanInput!) { createTariffPlan(input: $input) { userErrors { code field message } } }`,
      { input: { stationId: S, name: 'p', segments: bad, timezone: 'Mars/Base', currency: 'XXX' } },
    );
    expect(r.impact).toBeNull();
    expect(r.userErrors).toEqual(created.data.createTariffPlan.userErrors);
    expect(r.userErrors.map((e: any) => e.code).sort()).toEqual(['INVALID_CURRENCY', 'INVALID_SEGMENT', 'INVALID_SEGMENT', 'INVALID_TIMEZONE']);

    const gap = await impactOf(A, tariffsUrl, {}, input({ segments: [DRAFT[0]] }));
    expect(gap.userErrors).toEqual([expect.objectContaining({ code: 'SEGMENTS_INCOMPLETE', field: 'segments' })]);
    const reversed = await impactOf(A, tariffsUrl, {}, input({ from: to.toISOString(), to: from.toISOString() }));
    expect(reversed.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_WINDOW', field: 'to' })]);
    const long = await impactOf(A, tariffsUrl, {}, input({ to: new Date(from.getTime() + 94 * 86_400_000).toISOString() }));
    expect(long.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_WINDOW' })]);
    const notId = await impactOf(A, tariffsUrl, {}, input({ stationId: 'S1' }));
    expect(notId.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_ID', field: 'stationId' })]);
  });

  it("needs tariff:write, and a station among a station-scoped caller's", async () => {
    const viewer = await gql(tariffsUrl, await user(A, { permissions: ['tariff:read'] }), IMPACT, { input: input() });
    expect(viewer.errors[0].extensions.code).toBe('FORBIDDEN');
    const elsewhere = await impactOf(A, tariffsUrl, { dataScope: 'ASSIGNED_STATIONS', stationIds: [other] });
    expect(elsewhere).toEqual({ impact: null, userErrors: [expect.objectContaining({ code: 'OUT_OF_SCOPE', field: 'stationId' })] });
    const assigned = await impactOf(A, tariffsUrl, { dataScope: 'ASSIGNED_STATIONS', stationIds: [S] });
    expect(assigned.impact.total.sessions).toBe(4);
  });

  describe("orders' completedSessionsForPricing", () => {
    const PAGE = `query($s: ID!, $from: DateTimeISO!, $to: DateTimeISO!) {
      completedSessionsForPricing(stationId: $s, from: $from, to: $to, first: 10) { hasNextPage sessions { orderId billed { minor } readings { registerWh } } } }`;
    const vars = { s: S, from: from.toISOString(), to: to.toISOString() };
    const service = (signer: TokenIssuer, permissions: string[]) =>
      signer.issue({ subject: 'svc', kind: 'service', tenantId: A, roles: [], permissions: permissions as never, dataScope: 'TENANT', visibleTenantIds: [A] });

    it("answers a service token carrying completed-sessions:read, with the token's tenant's rows only", async () => {
      const r = await gql(ordersUrl, await service(tariffsSigner, ['completed-sessions:read']), PAGE, vars);
      expect(r.data.completedSessionsForPricing.hasNextPage).toBe(false);
      expect(r.data.completedSessionsForPricing.sessions.map((s: any) => s.billed.minor).sort((a: number, b: number) => a - b)).toEqual([50, 130, 200, 500]);
      // start register, the reading inside, stop register
      expect(r.data.completedSessionsForPricing.sessions[0].readings.map((x: any) => x.registerWh)).toEqual(['0', '9000', '10000']);
    });

    it('refuses users (even with every permission) and services without the scope', async () => {
      const asUser = await gql(ordersUrl, await user(A, { permissions: ['order:read', 'tariff:write'] }), PAGE, vars);
      expect(asUser.errors[0].extensions.code).toBe('FORBIDDEN');
      const ordersService = await gql(ordersUrl, await service(ordersSigner, ['station:read', 'tariff:read']), PAGE, vars);
      expect(ordersService.errors[0].extensions.code).toBe('FORBIDDEN');
    });
  });
});
