import { randomUUID } from 'node:crypto';
import { createKnex, createLogger, generateSigningKey, Identity, Knex, listen, SubgraphServer, TokenIssuer, TokenVerifier, withTenant } from '@evcs/platform';
import { auditLogQuery, createTestDatabase, failInsertsFor, TestDatabase } from '@evcs/testkit';
import { createOrdersServer, migrations } from '../src';

const LOG = auditLogQuery('orderAuditLog');
const FORCE_CLOSE = `mutation($id: ID!, $r: String!) { forceCloseOrder(orderId: $id, reason: $r) { order { id state } userErrors { code } } }`;

/** An operator's force-close and its audit entry: one transaction; the log behind audit:read. */
describe('orders audit trail (real Postgres, real HTTP)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let srv: SubgraphServer;
  let url: string;
  let router: TokenIssuer;
  const A = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 4 } });
    const key = await generateSigningKey('router-k');
    router = new TokenIssuer(key, 'evcs-router');
    srv = await createOrdersServer({
      knex,
      verifier: new TokenVerifier({ keys: [key.publicJwk] }, ['evcs-router']),
      logger: createLogger('orders-audit-test', { level: 'silent' }),
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

  const gql = async (query: string, variables: Record<string, unknown>, id: Partial<Identity>, request = {}) => {
    const token = await router.issue(
      { subject: 'operator-1', kind: 'user', tenantId: A, roles: [], permissions: ['order:read', 'order:write'], dataScope: 'TENANT', ...id },
      undefined,
      { request },
    );
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  };
  /** A remote start the charger never confirmed. */
  const pendingOrder = async (tenantId: string) => {
    const id = randomUUID();
    await withTenant(knex, tenantId, (trx) =>
      trx('orders.orders').insert({
        id,
        tenant_id: tenantId,
        station_id: randomUUID(),
        charger_id: randomUUID(),
        charger_code: `C-${id.slice(0, 6)}`,
        connector_no: 1,
        origin: 'API',
        state: 'PENDING',
      }),
    );
    return id;
  };
  const stateOf = async (tenantId: string, id: string) => (await withTenant(knex, tenantId, (trx) => trx('orders.orders').where({ id }).first())).state;

  it('records a force-close with its reason, actor, request id and client address', async () => {
    const id = await pendingOrder(A);
    const r = await gql(FORCE_CLOSE, { id, r: 'charger never answered' }, {}, { requestId: 'req-fc-1', clientIp: '203.0.113.20' });
    expect(r.data.forceCloseOrder).toMatchObject({ order: { state: 'FAILED' }, userErrors: [] });
    const log = await gql(LOG, { filter: { targetType: 'order', targetId: id } }, { permissions: ['audit:read'] });
    expect(log.errors).toBeUndefined();
    expect(log.data.orderAuditLog.edges.map((e: any) => e.node)).toEqual([
      expect.objectContaining({
        action: 'ORDER_FORCE_CLOSED',
        actorType: 'USER',
        actorId: 'operator-1',
        requestId: 'req-fc-1',
        clientAddress: '203.0.113.20',
        before: { state: 'PENDING', energyWh: null, amount: null },
        after: expect.objectContaining({ state: 'FAILED' }),
        details: { reason: 'charger never answered' },
      }),
    ]);
    // a refused force-close (too short a reason) records nothing
    const other = await pendingOrder(A);
    expect((await gql(FORCE_CLOSE, { id: other, r: 'x' }, {})).data.forceCloseOrder.userErrors[0].code).toBe('INVALID_INPUT');
    expect((await gql(LOG, { filter: { targetId: other } }, { permissions: ['audit:read'] })).data.orderAuditLog.edges).toEqual([]);
  });

  it('needs audit:read', async () => {
    const r = await gql(LOG, {}, {});
    expect(r.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('the force-close commits only with its audit entry', async () => {
    const doomed = randomUUID();
    const id = await pendingOrder(doomed);
    await failInsertsFor(db, 'orders.audit_entries', doomed);
    const r = await gql(FORCE_CLOSE, { id, r: 'charger never answered' }, { tenantId: doomed });
    expect(r.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await stateOf(doomed, id)).toBe('PENDING');
  });
});
