import { randomUUID } from 'node:crypto';
import { createKnex, dropDatabase, Knex, withTenant } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { DemoTenant, Stack, startStack } from '../src/stack';

/**
 * Tariffs through the router, every service a real process: the seeded default
 * plan prices a session on an assets charger, and the supergraph joins assets'
 * stations and chargers with tariffs' plans and bindings.
 */
describe('end to end: pricing a session through the router', () => {
  let stack: Stack;
  let knex: Knex;
  const database = uniqueName('evcs_e2e_tariffs');
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_t'),
    name: 'Tariff Operator',
    stations: [{ code: 'T-ST-1', name: 'Tariff Station', chargers: [{ code: uniqueName('E2E-T-CP'), connectors: 1 }] }],
  };

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e'), ports: 'ephemeral', quiet: true, routers: 1 });
    await stack.seedTenant(tenant);
    knex = createKnex({ connectionString: stack.appDatabaseUrl, schema: 'assets', pool: { max: 1 } });
  });
  afterAll(async () => {
    await knex?.destroy();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  async function query(q: string, variables?: Record<string, unknown>) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.tokenFor(tenant.id)}` },
      body: JSON.stringify({ query: q, variables }),
    });
    return (await res.json()) as any;
  }

  it('prices 07:00–09:00 Shanghai, 20 kWh, at 22.80 with the tenant default, and federates plans onto assets entities', async () => {
    // ids straight from the database (as the app role, through RLS), so the query below doesn't depend on how assets lists stations
    const stationId = await withTenant(knex, tenant.id, async (trx) => (await trx('assets.stations').where({ tenant_id: tenant.id }).first('id')).id as string);
    const st = await query('query($id: ID!) { station(id: $id) { id tariffPlans { name } chargers { id tariffBinding { plan { name } } } } }', {
      id: stationId,
    });
    expect(st.errors).toBeUndefined();
    const station = st.data.station;
    expect(station.tariffPlans).toEqual([]);
    expect(station.chargers[0].tariffBinding).toBeNull();

    const r = await query(
      'query($input: PriceSessionInput!) { priceSession(input: $input) { source total { minor currency formatted } planVersions items { start energy { wh } } } }',
      {
        input: {
          chargerId: station.chargers[0].id,
          stationId: station.id,
          startedAt: '2026-03-01T23:00:00Z',
          stoppedAt: '2026-03-02T01:00:00Z',
          energyWh: '20000',
        },
      },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.priceSession).toEqual({
      source: 'TENANT',
      total: { minor: 2280, currency: 'CNY', formatted: '22.80' },
      planVersions: [1],
      items: [
        { start: '00:00', energy: { wh: '10000' } },
        { start: '08:00', energy: { wh: '10000' } },
      ],
    });
  });

  it("binds a charger with the station and protocol assets has for it (tariffs asks assets over HTTP), refusing a client's other claims", async () => {
    const stationId = await withTenant(knex, tenant.id, async (trx) => (await trx('assets.stations').where({ tenant_id: tenant.id }).first('id')).id as string);
    const chargerId = await withTenant(knex, tenant.id, async (trx) => (await trx('assets.chargers').where({ tenant_id: tenant.id }).first('id')).id as string);
    const plans = await query('{ tariffPlans { id } }');
    const planId = plans.data.tariffPlans[0].id as string;
    const BIND =
      'mutation($i: BindChargerTariffInput!) { bindChargerTariff(input: $i) { binding { chargerId stationId protocol } userErrors { code field } } }';
    const lie = await query(BIND, { i: { chargerId, planId, stationId: randomUUID(), protocol: 'YKC' } });
    expect(lie.errors).toBeUndefined();
    expect(lie.data.bindChargerTariff.userErrors).toEqual([{ code: 'STATION_MISMATCH', field: 'stationId' }]);
    expect((await query(BIND, { i: { chargerId, planId, protocol: 'YKC' } })).data.bindChargerTariff.userErrors).toEqual([
      { code: 'PROTOCOL_MISMATCH', field: 'protocol' },
    ]);
    expect((await query(BIND, { i: { chargerId: randomUUID(), planId } })).data.bindChargerTariff.userErrors).toEqual([
      { code: 'NOT_FOUND', field: 'chargerId' },
    ]);
    const ok = await query(BIND, { i: { chargerId, planId } });
    expect(ok.data.bindChargerTariff).toEqual({ binding: { chargerId, stationId, protocol: 'OCPP16' }, userErrors: [] });
  });

  it("answers a draft's impact on the station's completed sessions (tariffs reads them from orders), and keeps orders' internal query off the router", async () => {
    const stationId = await withTenant(knex, tenant.id, async (trx) => (await trx('assets.stations').where({ tenant_id: tenant.id }).first('id')).id as string);
    const orders = createKnex({ connectionString: stack.appDatabaseUrl, schema: 'orders', pool: { max: 1 } });
    try {
      // one completed session, 07:00–09:00 Shanghai, 20 kWh, billed 22.80
      await withTenant(orders, tenant.id, (trx) =>
        trx('orders.orders').insert({
          tenant_id: tenant.id,
          station_id: stationId,
          charger_code: 'E2E',
          connector_no: 1,
          origin: 'CHARGER',
          transaction_id: randomUUID(),
          state: 'PAID',
          started_at: new Date('2026-03-01T23:00:00Z'),
          stopped_at: new Date('2026-03-02T01:00:00Z'),
          meter_start_wh: 0,
          meter_stop_wh: 20_000,
          energy_wh: 20_000,
          amount: '22.80',
        }),
      );
    } finally {
      await orders.destroy();
    }
    const r = await query(
      `query($i: TariffImpactInput!) { tariffImpact(input: $i) {
        impact { timezone total { sessions billed { formatted } draft { formatted } difference { formatted } } hours { hour sessions } } userErrors { code } } }`,
      {
        i: {
          stationId,
          from: '2026-03-01T00:00:00Z',
          to: '2026-03-03T00:00:00Z',
          segments: [{ start: '00:00', end: '24:00', energyPrice: '1.0000', serviceFee: '0.5000' }],
        },
      },
    );
    expect(r.errors).toBeUndefined();
    const impact = r.data.tariffImpact.impact;
    expect(impact.timezone).toBe('Asia/Shanghai');
    // 20 kWh × 1.50 = 30.00 against the 22.80 billed
    expect(impact.total).toEqual({ sessions: 1, billed: { formatted: '22.80' }, draft: { formatted: '30.00' }, difference: { formatted: '7.20' } });
    expect(impact.hours.filter((h: any) => h.sessions > 0)).toEqual([{ hour: 7, sessions: 1 }]);

    const internal = await query(
      'query($s: ID!) { completedSessionsForPricing(stationId: $s, from: "2026-03-01T00:00:00Z", to: "2026-03-03T00:00:00Z") { hasNextPage } }',
      {
        s: stationId,
      },
    );
    expect(internal.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
