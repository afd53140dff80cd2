import { randomUUID } from 'node:crypto';
import { createKnex, createLogger, generateSigningKey, Identity, Knex, listen, SubgraphServer, TokenIssuer, TokenVerifier, withTenant } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { createOrdersServer, migrations } from '../src';
import * as billMoney from '../migrations/20261202000008_bill_money';

describe('orders API: connection, filters, scopes, entity fields (real Postgres, real HTTP)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let srv: SubgraphServer;
  let url: string;
  let router: TokenIssuer;
  const A = randomUUID();
  const B = randomUUID();
  const s1 = randomUUID();
  const s2 = randomUUID();
  const c1 = randomUUID();
  const c2 = randomUUID();
  const driver = randomUUID();
  const ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
    // 30 orders of A over 30 hours, alternating stations; 5 of B
    for (let i = 0; i < 30; i++) {
      const id = randomUUID();
      ids.push(id);
      await withTenant(knex, A, (trx) =>
        trx('orders.orders').insert({
          id,
          tenant_id: A,
          station_id: i % 2 ? s2 : s1,
          charger_id: i % 2 ? c2 : c1,
          charger_code: i % 2 ? 'C2' : 'C1',
          connector_no: 1,
          user_id: i % 3 === 0 ? driver : null,
          origin: 'API',
          state: i === 29 ? 'CHARGING' : 'COMPLETED',
          started_at: new Date(Date.UTC(2026, 10, 20, 0) + i * 3600_000),
          amount: i === 29 ? null : '1.00',
          energy_wh: 1234,
          transaction_id: String(i),
        }),
      );
    }
    for (let i = 0; i < 5; i++) {
      await withTenant(knex, B, (trx) =>
        trx('orders.orders').insert({
          tenant_id: B,
          station_id: s1,
          charger_id: c1,
          charger_code: 'C1',
          connector_no: 1,
          origin: 'API',
          state: 'COMPLETED',
          started_at: new Date(),
          transaction_id: `b${i}`,
        }),
      );
    }
    const key = await generateSigningKey('router-k');
    router = new TokenIssuer(key, 'evcs-router');
    srv = await createOrdersServer({
      knex,
      verifier: new TokenVerifier({ keys: [key.publicJwk] }, ['evcs-router']),
      logger: createLogger('orders-api-test', { level: 'silent' }),
      pricer: { price: async () => Promise.reject(new Error('not used')) },
      chargers: { byId: async () => null, byCode: async () => null },
    });
    url = `http://127.0.0.1:${await listen(srv.server, 0)}/graphql`;
  });
  afterAll(async () => {
    await srv?.stop();
    await knex?.destroy();
    await db?.drop();
  });

  const gql = async (query: string, variables: Record<string, unknown> = {}, id: Partial<Identity> = {}) => {
    const token = await router.issue({
      subject: 'u',
      kind: 'user',
      tenantId: A,
      roles: [],
      permissions: ['order:read'],
      dataScope: 'TENANT',
      visibleTenantIds: [A],
      ...id,
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  };
  const Q =
    'query($f: OrderFilter, $a: String, $n: Int!, $s: SortDirection!) { orders(filter: $f, after: $a, first: $n, sort: $s) { edges { cursor node { id transactionId energy { kwh } } } pageInfo { hasNextPage endCursor } } }';

  async function walk(filter: Record<string, unknown> | null, sort: 'ASC' | 'DESC', n: number, id: Partial<Identity> = {}): Promise<string[]> {
    const out: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r = await gql(Q, { f: filter, a: after, n, s: sort }, id);
      if (r.errors) throw new Error(JSON.stringify(r.errors));
      out.push(...r.data.orders.edges.map((e: any) => e.node.transactionId));
      if (!r.data.orders.pageInfo.hasNextPage) return out;
      after = r.data.orders.pageInfo.endCursor;
    }
  }

  it('pages through every order of the tenant by start time, both ways, without gaps or repeats', async () => {
    const desc = await walk(null, 'DESC', 7);
    expect(desc).toEqual(Array.from({ length: 30 }, (_, i) => String(29 - i)));
    expect(await walk(null, 'ASC', 11)).toEqual([...desc].reverse());
  });

  it('pages backwards (last/before) through the same orders, and refuses a cursor of the other sort order', async () => {
    const BQ =
      'query($b: String, $n: Int, $s: SortDirection!) { orders(before: $b, last: $n, sort: $s) { edges { node { transactionId } } pageInfo { hasPreviousPage hasNextPage startCursor } } }';
    for (const [sort, n] of [
      ['DESC', 7],
      ['ASC', 4],
    ] as const) {
      const out: string[] = [];
      let before: string | null = null;
      for (;;) {
        const r = await gql(BQ, { b: before, n, s: sort });
        if (r.errors) throw new Error(JSON.stringify(r.errors));
        out.unshift(...r.data.orders.edges.map((e: any) => e.node.transactionId));
        expect(r.data.orders.pageInfo.hasNextPage).toBe(before !== null);
        if (!r.data.orders.pageInfo.hasPreviousPage) break;
        before = r.data.orders.pageInfo.startCursor;
      }
      expect(out).toEqual(await walk(null, sort, 50));
    }
    const desc = await gql(Q, { n: 1, s: 'DESC' });
    const mixed = await gql(Q, { a: desc.data.orders.pageInfo.endCursor, n: 1, s: 'ASC' });
    expect(mixed.errors[0]).toMatchObject({ message: expect.stringContaining('another sort order'), extensions: { code: 'BAD_USER_INPUT' } });
    const both = await gql('{ orders(first: 1, last: 1) { edges { cursor } } }', {});
    expect(both.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('orders not started, created within one millisecond, page one at a time both ways, each once (cursors keep microseconds)', async () => {
    const C = randomUUID();
    // created_at from now() keeps microseconds; five orders in the same millisecond, none started
    for (let i = 0; i < 5; i++) {
      await withTenant(knex, C, (trx) =>
        trx('orders.orders').insert({
          tenant_id: C,
          station_id: s1,
          charger_id: c1,
          charger_code: 'C1',
          connector_no: 1,
          origin: 'API',
          state: 'PENDING',
          created_at: `2026-11-25T08:00:00.12345${i}Z`,
          transaction_id: `c${i}`,
        }),
      );
    }
    const asC = { tenantId: C, visibleTenantIds: [C] };
    const forwards = await walk(null, 'ASC', 1, asC);
    expect(forwards).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(await walk(null, 'DESC', 2, asC)).toEqual(['c4', 'c3', 'c2', 'c1', 'c0']);
    const BQ = 'query($b: String) { orders(before: $b, last: 1, sort: ASC) { edges { node { transactionId } } pageInfo { hasPreviousPage startCursor } } }';
    const backwards: string[] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const r = await gql(BQ, { b: before }, asC);
      if (r.errors) throw new Error(JSON.stringify(r.errors));
      backwards.unshift(...r.data.orders.edges.map((e: any) => e.node.transactionId));
      if (!r.data.orders.pageInfo.hasPreviousPage) break;
      before = r.data.orders.pageInfo.startCursor;
    }
    expect(backwards).toEqual(forwards);
  });

  it('filters by station, charger, user, state and time range', async () => {
    expect(await walk({ stationIds: [s1] }, 'ASC', 50)).toEqual(Array.from({ length: 15 }, (_, i) => String(i * 2)));
    expect(await walk({ chargerIds: [c2], states: ['CHARGING'] }, 'ASC', 50)).toEqual(['29']);
    expect(await walk({ userId: driver }, 'ASC', 50)).toEqual(['0', '3', '6', '9', '12', '15', '18', '21', '24', '27']);
    expect(await walk({ from: '2026-11-20T05:00:00Z', to: '2026-11-20T08:00:00Z' }, 'ASC', 50)).toEqual(['5', '6', '7']);
    const bad = await gql(Q, { f: { from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' }, n: 5, s: 'ASC' });
    expect(bad.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const cursor = await gql(Q, { a: 'nonsense', n: 5, s: 'ASC' });
    expect(cursor.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('honours data scopes: assigned stations only, own orders only (SELF), nothing without order:read', async () => {
    expect((await walk(null, 'ASC', 50, { dataScope: 'ASSIGNED_STATIONS', stationIds: [s2] })).length).toBe(15);
    expect(await walk(null, 'ASC', 50, { dataScope: 'SELF', subject: driver })).toEqual(['0', '3', '6', '9', '12', '15', '18', '21', '24', '27']);
    const denied = await gql(Q, { n: 5, s: 'ASC' }, { permissions: [] });
    expect(denied.errors[0].extensions.code).toBe('FORBIDDEN');
    const other = await walk(null, 'ASC', 50, { tenantId: B, visibleTenantIds: [B] });
    // B's orders may share a start instant (ties go by id), so compare as a set
    expect([...other].sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it('answers order(id), and energy as exact kWh', async () => {
    const r = await gql('query($id: ID!) { order(id: $id) { transactionId energy { wh kwh } amount { minor currency formatted } state } }', { id: ids[3] });
    expect(r.data.order).toEqual({
      transactionId: '3',
      energy: { wh: '1234', kwh: '1.234' },
      amount: { minor: 100, currency: 'CNY', formatted: '1.00' },
      state: 'COMPLETED',
    });
    const foreign = await gql('query($id: ID!) { order(id: $id) { id } }', { id: ids[3] }, { tenantId: B, visibleTenantIds: [B] });
    expect(foreign.data.order).toBeNull();
  });

  it("resolves a charger's and a station's active sessions as entity fields (federation)", async () => {
    const r = await gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Charger { id activeOrder { transactionId state } } ... on Station { id activeOrders { transactionId } } } }',
      {
        r: [
          { __typename: 'Charger', id: c2 },
          { __typename: 'Charger', id: c1 },
          { __typename: 'Station', id: s2 },
        ],
      },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data._entities).toEqual([
      { id: c2, activeOrder: { transactionId: '29', state: 'CHARGING' } },
      { id: c1, activeOrder: null },
      { id: s2, activeOrders: [{ transactionId: '29' }] },
    ]);
  });

  it("the tenant's session settings: read with order:read, changed only with tariff:write, bounded, per tenant", async () => {
    const READ = '{ orderSettings { ykcPreAuthorizedAmountMinor } }';
    const SET = 'mutation($i: OrderSettingsInput!) { updateOrderSettings(input: $i) { settings { ykcPreAuthorizedAmountMinor } userErrors { code field } } }';
    expect((await gql(READ)).data.orderSettings).toEqual({ ykcPreAuthorizedAmountMinor: 20_000 });
    const denied = await gql(SET, { i: { ykcPreAuthorizedAmountMinor: 1 } }, { permissions: ['order:read', 'order:write'] });
    expect(denied.errors[0].extensions.code).toBe('FORBIDDEN');
    const writer = { permissions: ['order:read', 'tariff:write'] };
    const bad = await gql(SET, { i: { ykcPreAuthorizedAmountMinor: 0 } }, writer);
    expect(bad.data.updateOrderSettings).toEqual({ settings: null, userErrors: [{ code: 'INVALID_INPUT', field: 'ykcPreAuthorizedAmountMinor' }] });
    const set = await gql(SET, { i: { ykcPreAuthorizedAmountMinor: 5_000 } }, writer);
    expect(set.data.updateOrderSettings).toEqual({ settings: { ykcPreAuthorizedAmountMinor: 5_000 }, userErrors: [] });
    expect((await gql(READ)).data.orderSettings).toEqual({ ykcPreAuthorizedAmountMinor: 5_000 });
    expect((await gql(READ, {}, { tenantId: B, visibleTenantIds: [B] })).data.orderSettings).toEqual({ ykcPreAuthorizedAmountMinor: 20_000 });
  });
  it("states every amount as Money and every energy as Energy: the bill, the charger's own bill, the pre-authorised amount", async () => {
    const id = randomUUID();
    const money = (minor: number) => ({ minor, currency: 'CNY' });
    const bill = {
      currency: 'CNY',
      planId: randomUUID(),
      source: 'TENANT',
      planVersions: [1],
      timezone: 'Asia/Shanghai',
      electricityAmount: money(1530),
      serviceAmount: money(750),
      totalExact: '22.8',
      total: money(2280),
      items: [
        {
          planVersion: 1,
          segmentNo: 1,
          start: '00:00',
          end: '08:00',
          energyPrice: '0.6800',
          serviceFee: '0.3500',
          durationSeconds: '3600',
          energyWh: '10000.5',
          electricityAmount: money(680),
          serviceAmount: money(350),
        },
      ],
    };
    const chargerBill = {
      amount: '22.8150',
      energyWh: 20_000,
      startedAt: '2026-11-20T00:00:00.000Z',
      endedAt: '2026-11-20T02:00:00.000Z',
      meterStartWh: 1_000_000,
      meterStopWh: 1_020_000,
      tiers: [{ tier: 'PEAK', unitPrice: '1.14075', energyKwh: '20.0000', amount: '22.8150' }],
    };
    await withTenant(knex, A, (trx) =>
      trx('orders.orders').insert({
        id,
        tenant_id: A,
        station_id: randomUUID(),
        charger_id: randomUUID(),
        charger_code: 'C9',
        connector_no: 1,
        origin: 'API',
        state: 'TO_PAY',
        started_at: new Date(Date.UTC(2025, 0, 1)),
        amount: '22.80',
        energy_wh: 20_000,
        bill: JSON.stringify(bill),
        charger_bill: JSON.stringify(chargerBill),
        pre_authorized_fen: 20_000,
        transaction_id: 'money',
      }),
    );
    const M = '{ minor currency formatted }';
    const r = await gql(
      `query($id: ID!) { order(id: $id) { amount ${M} energy { wh kwh } preAuthorizedAmount ${M}
        bill { total ${M} totalExact electricityAmount { formatted } serviceAmount { formatted } items { energy { wh kwh } electricityAmount ${M} serviceAmount { minor } } }
        chargerBill { amount ${M} amountExact energy { kwh } meterStart { wh } meterStop { kwh } tiers { tier unitPrice energy { wh kwh } amount { minor } } } } }`,
      { id },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.order).toEqual({
      amount: { minor: 2280, currency: 'CNY', formatted: '22.80' },
      energy: { wh: '20000', kwh: '20.000' },
      preAuthorizedAmount: { minor: 20_000, currency: 'CNY', formatted: '200.00' },
      bill: {
        total: { minor: 2280, currency: 'CNY', formatted: '22.80' },
        totalExact: '22.8',
        electricityAmount: { formatted: '15.30' },
        serviceAmount: { formatted: '7.50' },
        items: [
          { energy: { wh: '10000.5', kwh: '10.0005' }, electricityAmount: { minor: 680, currency: 'CNY', formatted: '6.80' }, serviceAmount: { minor: 350 } },
        ],
      },
      // the pile's 4-decimal figures: Money rounds them half-up, amountExact keeps what it sent
      chargerBill: {
        amount: { minor: 2282, currency: 'CNY', formatted: '22.82' },
        amountExact: '22.8150',
        energy: { kwh: '20.000' },
        meterStart: { wh: '1000000' },
        meterStop: { kwh: '1020.000' },
        tiers: [{ tier: 'PEAK', unitPrice: '1.14075', energy: { wh: '20000', kwh: '20.000' }, amount: { minor: 2282 } }],
      },
    });
  });

  it('rewrites bills stored with decimal strings into Money (migration 20261202000008)', async () => {
    const id = randomUUID();
    const old = {
      currency: 'CNY',
      planId: randomUUID(),
      source: 'TENANT',
      planVersions: [1],
      timezone: 'Asia/Shanghai',
      electricityAmount: '15.3',
      serviceAmount: '7.5',
      totalExact: '22.805',
      total: '22.81',
      items: [
        {
          planVersion: 1,
          segmentNo: 1,
          start: '00:00',
          end: '08:00',
          energyPrice: '0.6800',
          serviceFee: '0.3500',
          durationSeconds: '3600',
          energyWh: '10000',
          electricityAmount: '6.805',
          serviceAmount: '3.5',
        },
        {
          planVersion: 1,
          segmentNo: 2,
          start: '08:00',
          end: '18:00',
          energyPrice: '0.8500',
          serviceFee: '0.4000',
          durationSeconds: '3600',
          energyWh: '10000',
          electricityAmount: '8.495',
          serviceAmount: '4',
        },
      ],
    };
    await withTenant(knex, A, (trx) =>
      trx('orders.orders').insert({
        id,
        tenant_id: A,
        charger_code: 'C8',
        connector_no: 1,
        origin: 'API',
        state: 'TO_PAY',
        started_at: new Date(Date.UTC(2025, 0, 2)),
        amount: '22.81',
        bill: JSON.stringify(old),
        transaction_id: 'old-bill',
      }),
    );
    const owner = createKnex({ connectionString: db.ownerUrl, schema: 'orders', pool: { max: 1 } });
    try {
      await owner.transaction((trx) => billMoney.up(trx));
      await owner.transaction((trx) => billMoney.up(trx)); // twice changes nothing
    } finally {
      await owner.destroy();
    }
    const r = await gql(
      'query($id: ID!) { order(id: $id) { bill { total { minor } electricityAmount { minor } serviceAmount { minor } items { segmentNo energy { wh } electricityAmount { minor } serviceAmount { minor } } } } }',
      { id },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.order.bill).toEqual({
      total: { minor: 2281 },
      electricityAmount: { minor: 1530 },
      serviceAmount: { minor: 750 },
      items: [
        { segmentNo: 1, energy: { wh: '10000' }, electricityAmount: { minor: 681 }, serviceAmount: { minor: 350 } },
        { segmentNo: 2, energy: { wh: '10000' }, electricityAmount: { minor: 850 }, serviceAmount: { minor: 400 } },
      ],
    });
  });
});
