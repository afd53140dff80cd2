import { randomUUID } from 'node:crypto';
import { createKnex, createLogger, generateSigningKey, Identity, Knex, listen, SubgraphServer, TokenIssuer, TokenVerifier, withTenant } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { createOrdersServer, migrations } from '../src';

/**
 * orderStatistics over real rows: per local hour and day of the asked zone, FAILED starts left
 * out, revenue only from priced sessions and exact, the caller's data scope applied.
 */
describe('orders API: orderStatistics (real Postgres, real HTTP)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let srv: SubgraphServer;
  let url: string;
  let router: TokenIssuer;
  const A = randomUUID();
  const s1 = randomUUID();
  const s2 = randomUUID();
  let n = 0;

  const insert = (o: { station: string; startedAt: string; state: string; amount?: string | null; wh?: number | null; currency?: string }) =>
    withTenant(knex, A, (trx) =>
      trx('orders.orders').insert({
        tenant_id: A,
        station_id: o.station,
        charger_id: randomUUID(),
        charger_code: 'C1',
        connector_no: 1,
        origin: 'API',
        state: o.state,
        started_at: new Date(o.startedAt),
        amount: o.amount ?? null,
        energy_wh: o.wh ?? null,
        currency: o.currency ?? 'CNY',
        transaction_id: String(n++),
      }),
    );

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 4 } });
    // 2026-11-20 in Asia/Shanghai (UTC+8) is [2026-11-19T16:00Z, 2026-11-20T16:00Z)
    await insert({ station: s1, startedAt: '2026-11-19T15:59:59Z', state: 'COMPLETED', amount: '9.99', wh: 9999 }); // the 19th, local
    await insert({ station: s1, startedAt: '2026-11-19T16:10:00Z', state: 'COMPLETED', amount: '0.10', wh: 1000 }); // 00:10 local
    await insert({ station: s2, startedAt: '2026-11-19T16:50:00Z', state: 'PAID', amount: '0.20', wh: 2500 }); // 00:50
    await insert({ station: s1, startedAt: '2026-11-20T02:30:00Z', state: 'CHARGING' }); // 10:30, running: no energy, no amount
    await insert({ station: s2, startedAt: '2026-11-20T02:45:00Z', state: 'FAILED' }); // not a session
    await insert({ station: s2, startedAt: '2026-11-20T15:59:00Z', state: 'REFUNDED', amount: '1.01', wh: 1 }); // 23:59
    const key = await generateSigningKey('router-k');
    router = new TokenIssuer(key, 'evcs-router');
    srv = await createOrdersServer({
      knex,
      verifier: new TokenVerifier({ keys: [key.publicJwk] }, ['evcs-router']),
      logger: createLogger('orders-stats-test', { level: 'silent' }),
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

  const gql = async (variables: Record<string, unknown>, id: Partial<Identity> = {}) => {
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
      body: JSON.stringify({
        query: `query($from: String!, $to: String!, $tz: String!, $b: StatisticsBucket!, $f: OrderStatisticsFilter) {
          orderStatistics(from: $from, to: $to, timezone: $tz, bucket: $b, filter: $f) {
            timezone from to sessions energy { kwh } revenue { minor currency formatted } buckets { start sessions energy { wh } }
          }
        }`,
        variables,
      }),
    });
    return (await res.json()) as any;
  };
  const day = { from: '2026-11-20', to: '2026-11-20', tz: 'Asia/Shanghai', b: 'HOUR' };

  it("counts one local day's sessions per local hour, their energy and what the priced ones billed, exactly", async () => {
    const r = await gql(day);
    expect(r.errors).toBeUndefined();
    expect(r.data.orderStatistics).toEqual({
      timezone: 'Asia/Shanghai',
      from: '2026-11-19T16:00:00.000Z',
      to: '2026-11-20T16:00:00.000Z',
      sessions: 4,
      energy: { kwh: '3.501' },
      revenue: [{ minor: 131, currency: 'CNY', formatted: '1.31' }],
      buckets: [
        { start: '2026-11-19T16:00:00.000Z', sessions: 2, energy: { wh: '3500' } },
        { start: '2026-11-20T02:00:00.000Z', sessions: 1, energy: { wh: '0' } },
        { start: '2026-11-20T15:00:00.000Z', sessions: 1, energy: { wh: '1' } },
      ],
    });
  });

  it('buckets by local day in the zone asked for', async () => {
    const r = await gql({ ...day, from: '2026-11-19', b: 'DAY' });
    expect(r.data.orderStatistics.buckets).toEqual([
      { start: '2026-11-18T16:00:00.000Z', sessions: 1, energy: { wh: '9999' } },
      { start: '2026-11-19T16:00:00.000Z', sessions: 4, energy: { wh: '3501' } },
    ]);
    // the same instants fall on other days in UTC: the 20th there holds 10:30 and 23:59 local only
    const utc = await gql({ ...day, tz: 'UTC', b: 'DAY' });
    expect(utc.data.orderStatistics).toMatchObject({ sessions: 2, buckets: [{ start: '2026-11-20T00:00:00.000Z', sessions: 2 }] });
  });

  it('applies the station filter and the data scope (assigned stations), and needs order:read', async () => {
    expect((await gql({ ...day, f: { stationIds: [s2] } })).data.orderStatistics).toMatchObject({ sessions: 2, revenue: [{ formatted: '1.21' }] });
    const mgr = { dataScope: 'ASSIGNED_STATIONS' as const, stationIds: [s1] };
    expect((await gql(day, mgr)).data.orderStatistics).toMatchObject({ sessions: 2, energy: { kwh: '1.000' }, revenue: [{ formatted: '0.10' }] });
    // asking for a station outside the scope finds nothing, rather than widening it
    expect((await gql({ ...day, f: { stationIds: [s2] } }, mgr)).data.orderStatistics).toMatchObject({ sessions: 0, revenue: [], buckets: [] });
    expect((await gql(day, { permissions: [] })).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses an unknown zone, days out of order or too many of them', async () => {
    for (const v of [
      { ...day, tz: '+08:00' },
      { ...day, from: '2026-11-21' },
      { ...day, from: '2026-02-30' },
      { ...day, from: '2026-01-01', to: '2026-12-31', b: 'DAY' },
    ]) {
      expect((await gql(v)).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
  });
});
