import { randomUUID } from 'node:crypto';
import { createKnex, Knex, TokenIssuer, withTenant } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations as tariffsMigrations } from '@evcs/tariffs';
import { migrations } from '../src';
import { SessionService } from '../src/domain/session-service';
import type { ChargerDirectory } from '../src/domain/ports';
import { PgOrderStore } from '../src/persistence/order-store';
import { RealPricing, startRealPricing } from './real-pricing';

/**
 * Orders priced by the real tariffs service over HTTP, as in production: the
 * example plan of the tariffs issue, a session across midnight, and a plan
 * revision taking effect at that midnight.
 */
describe('orders priced by the tariffs service (real HTTP, real Postgres)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let pricing: RealPricing;
  let sessions: SessionService;
  let router: TokenIssuer;
  let tariffsUrl: string;
  const T = randomUUID();
  const chargerId = randomUUID();
  const stationId = randomUUID();
  // the next midnight in Shanghai (UTC+8), so the plan revision is in the future as the tariffs service requires
  const midnight = new Date(Math.ceil((Date.now() + 8 * 3600_000) / 86_400_000) * 86_400_000 - 8 * 3600_000);
  let now = new Date(midnight.getTime() + 2 * 3600_000);

  beforeAll(async () => {
    db = await createTestDatabase([migrations, tariffsMigrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
    pricing = await startRealPricing(db, knex, T);
    ({ router, tariffsUrl } = pricing);
    const chargers: ChargerDirectory = {
      byId: async () => null,
      byCode: async (tenantId, code) => (tenantId === T ? { chargerId, code, stationId, protocol: 'OCPP16', connectorNos: [1] } : null),
    };
    sessions = new SessionService(new PgOrderStore(knex), chargers, pricing.pricer, { now: () => now });
  });
  afterAll(async () => {
    await pricing?.stop();
    await knex?.destroy();
    await db?.drop();
  });

  const run = async (code: string, tx: string, startedAt: Date, stoppedAt: Date, meterStopWh: number) => {
    await sessions.onSessionStarted({
      eventId: randomUUID(),
      tenantId: T,
      chargerCode: code,
      connectorNo: 1,
      transactionId: tx,
      idTag: 'CARD',
      meterStartWh: 0,
      startedAt,
    });
    await sessions.onSessionStopped({ eventId: randomUUID(), tenantId: T, chargerCode: code, transactionId: tx, meterStopWh, stoppedAt, reason: 'Local' });
    return withTenant(knex, T, (trx) => trx('orders.orders').where({ charger_code: code, transaction_id: tx }).first());
  };

  it('23:00–01:00 with 12 kWh and no samples costs 13.14 with the example plan', async () => {
    const o = await run('PRICE-1', '1', new Date(midnight.getTime() - 25 * 3600_000), new Date(midnight.getTime() - 23 * 3600_000), 12_000);
    expect(o).toMatchObject({ state: 'TO_PAY', amount: '13.14', energy_wh: '12000' });
    expect(o.bill).toMatchObject({ total: { minor: 1314, currency: 'CNY' }, planVersions: [1], source: 'TENANT' });
  });

  it('a revision effective at midnight prices the hour after it with the new version (versions change mid-session)', async () => {
    const token = await router.issue({
      subject: 'u',
      kind: 'user',
      tenantId: T,
      roles: [],
      permissions: ['tariff:read', 'tariff:write'],
      dataScope: 'TENANT',
      visibleTenantIds: [T],
    });
    const gql = async (query: string, variables: Record<string, unknown>) =>
      (await (
        await fetch(tariffsUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        })
      ).json()) as any;
    const plans = await gql('{ tariffPlans { id } }', {});
    const planId = plans.data.tariffPlans[0].id;
    const revised = await gql('mutation($i: ReviseTariffPlanInput!) { reviseTariffPlan(input: $i) { version { version } userErrors { code message } } }', {
      i: { planId, effectiveFrom: midnight.toISOString(), segments: [{ start: '00:00', end: '24:00', energyPrice: '1.0000', serviceFee: '0.5000' }] },
    });
    expect(revised.data.reviseTariffPlan.userErrors).toEqual([]);
    now = new Date(midnight.getTime() + 2 * 3600_000);
    const o = await run('PRICE-2', '2', new Date(midnight.getTime() - 3600_000), new Date(midnight.getTime() + 3600_000), 12_000);
    // 6 kWh at 0.78 + 0.38 before midnight, 6 kWh at 1.00 + 0.50 after: 6.96 + 9.00
    expect(o).toMatchObject({ state: 'TO_PAY', amount: '15.96' });
    expect(o.bill.planVersions).toEqual([1, 2]);
  });
});
