import { randomUUID } from 'node:crypto';
import type { ChargerEvent } from '@evcs/events';
import { createKnex, Knex, withTenant } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';
import type { Bill, ChargerDirectory, ChargerInfo, Pricer } from '../src/domain/ports';
import { SessionService } from '../src/domain/session-service';
import { applyChargerEvent } from '../src/events/charger-events-consumer';
import { PgOrderStore } from '../src/persistence/order-store';

/** session.started as the bridge publishes it after asking the tenant's id-token authority → the CHARGER order. */
describe('orders: the id tag’s user on charger-started orders (real Postgres)', () => {
  const tenantId = randomUUID();
  const station = randomUUID();
  const charger: ChargerInfo = {
    chargerId: randomUUID(),
    code: `CP-${randomUUID().slice(0, 6)}`,
    stationId: station,
    protocol: 'OCPP16',
    connectorNos: [1, 2],
  };
  const directory: ChargerDirectory = {
    byId: async (t, id) => (t === tenantId && id === charger.chargerId ? charger : null),
    byCode: async (t, code) => (t === tenantId && code === charger.code ? charger : null),
  };
  const pricer: Pricer = { price: async (): Promise<Bill> => Promise.reject(new Error('not priced in this test')) };
  let db: TestDatabase;
  let knex: Knex;
  let sessions: SessionService;

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 4 } });
    sessions = new SessionService(new PgOrderStore(knex), directory, pricer, { now: () => new Date() }, { startTimeoutMs: 60_000 });
  });
  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  const started = (transactionId: string, connectorId: number, extra: Record<string, unknown>): ChargerEvent => ({
    id: randomUUID(),
    version: 1,
    tenantId,
    chargerId: charger.code,
    occurredAt: new Date().toISOString(),
    receivedAt: new Date().toISOString(),
    source: { protocol: 'OCPP16', bridgeId: 'test' },
    type: 'session.started',
    data: { connectorId, transactionId, idTag: 'CARD-9', meterStartWh: 100, startedAt: new Date().toISOString(), trigger: 'LOCAL', ...extra },
  });
  const order = (transactionId: string) =>
    withTenant(knex, tenantId, (trx) => trx('orders.orders').where({ charger_code: charger.code, transaction_id: transactionId }).first());

  it('records the user the accepted tag belongs to', async () => {
    const userId = randomUUID();
    expect(await applyChargerEvent(sessions, started('7001', 1, { authorization: 'Accepted', userId }))).toBe('applied');
    expect(await order('7001')).toMatchObject({ origin: 'CHARGER', user_id: userId, id_tag: 'CARD-9', review_flags: [] });
  });

  it('flags a session the charger started with a tag the authority refused', async () => {
    expect(await applyChargerEvent(sessions, started('7002', 2, { authorization: 'Blocked' }))).toBe('applied');
    expect(await order('7002')).toMatchObject({ origin: 'CHARGER', user_id: null, review_flags: ['ID_TAG_BLOCKED'] });
  });
});
