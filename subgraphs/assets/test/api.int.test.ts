import { randomUUID } from 'node:crypto';
import http from 'node:http';
import {
  createKnex,
  createLogger,
  generateSigningKey,
  Identity,
  Knex,
  listen,
  SubgraphServer,
  TokenIssuer,
  withTenant,
  internalTokenVerifier,
  issuerBoundJwks,
  serviceScopesOf,
} from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { createAssetsServer, migrations, seedDemoAssets, StaticTenantQuotas } from '../src';

describe('assets subgraph API (real Postgres, real HTTP)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let srv: SubgraphServer;
  let url: string;
  let router: TokenIssuer;
  let bridge: TokenIssuer;
  let stranger: TokenIssuer;
  let bridgeKeyForTests: Awaited<ReturnType<typeof generateSigningKey>>;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const child = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'assets' });
    await seedDemoAssets(knex, tenantA, [{ code: 'S-A', name: 'Alpha', chargers: [{ code: 'API-A-1', connectors: 2 }] }]);
    await seedDemoAssets(knex, tenantB, [{ code: 'S-B', name: 'Bravo', chargers: [{ code: 'API-B-1', connectors: 1 }] }]);
    await seedDemoAssets(knex, tenantA, [{ code: 'S-A2', name: 'Alpha Two', chargers: [{ code: 'API-A-2', connectors: 1 }] }]);
    // `child` is a partner below tenant A
    await seedDemoAssets(knex, child, [{ code: 'S-C', name: 'Child', chargers: [{ code: 'API-C-1', connectors: 1 }] }]);
    const rk = await generateSigningKey('router-k');
    const bk = await generateSigningKey('bridge-k');
    bridgeKeyForTests = bk;
    const sk = await generateSigningKey('stranger-k');
    router = new TokenIssuer(rk, 'evcs-router');
    bridge = new TokenIssuer(bk, 'evcs-bridge');
    stranger = new TokenIssuer(sk, 'evcs-router');
    const verifier = internalTokenVerifier(issuerBoundJwks({ 'evcs-router': [rk.publicJwk], 'evcs-bridge': [bk.publicJwk] }));
    srv = await createAssetsServer({
      knex,
      verifier,
      quotas: new StaticTenantQuotas('unlimited'),
      logger: createLogger('assets-api-test', { level: 'silent' }),
    });
    url = `http://127.0.0.1:${await listen(srv.server, 0)}/graphql`;
  });
  afterAll(async () => {
    await srv?.stop();
    await knex?.destroy();
    await db?.drop();
  });

  const userToken = (tenantId: string | null, issuer = router, extra: Partial<Identity> = {}) =>
    issuer.issue({ subject: 'u1', kind: 'user', tenantId, roles: ['VIEWER'], permissions: ['station:read'], dataScope: 'TENANT', ...extra });

  async function withTenantScopeIds(tenantId: string, code: string): Promise<string[]> {
    return withTenant(knex, tenantId, async (trx) =>
      (await trx('stations').where({ code, tenant_id: tenantId }).select('id')).map((r: { id: string }) => r.id),
    );
  }

  async function gql(query: string, token?: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  const STATIONS = '{ stations { edges { node { name chargers { code connectors { connectorNo status } } } } } }';

  it('refuses a request without a token', async () => {
    const r = await gql(STATIONS);
    expect(r.status).toBe(401);
    expect(r.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed by an untrusted key', async () => {
    const r = await gql(STATIONS, await userToken(tenantA, stranger));
    expect(r.status).toBe(401);
  });

  it("answers stations → chargers → connectors for the token's tenant only", async () => {
    const r = await gql(STATIONS, await userToken(tenantA), undefined, { 'x-tenant-id': tenantB });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.stations.edges.map((e: { node: unknown }) => e.node)).toEqual([
      {
        name: 'Alpha',
        chargers: [
          {
            code: 'API-A-1',
            connectors: [
              { connectorNo: 1, status: 'Unavailable' },
              { connectorNo: 2, status: 'Unavailable' },
            ],
          },
        ],
      },
      { name: 'Alpha Two', chargers: [{ code: 'API-A-2', connectors: [{ connectorNo: 1, status: 'Unavailable' }] }] },
    ]);
  });

  it('a token without a tenant gets TENANT_CONTEXT_MISSING, never a default tenant', async () => {
    const r = await gql(STATIONS, await userToken(null));
    expect(r.body.errors[0].extensions.code).toBe('TENANT_CONTEXT_MISSING');
    expect(r.body.data).toBeNull();
  });

  it("cannot load another tenant's charger by code", async () => {
    const r = await gql('query($c: String!) { chargerByCode(code: $c) { id } }', await userToken(tenantA), { c: 'API-B-1' });
    expect(r.body.data.chargerByCode).toBeNull();
  });

  it('chargerRegistration resolves a charger to its tenant for services, and is forbidden to users', async () => {
    const q = 'query($c: String!) { chargerRegistration(code: $c) { tenantId chargerId } }';
    const svc = await bridge.issue({ subject: 'protocol-bridge', kind: 'service', tenantId: null, roles: [], permissions: serviceScopesOf('evcs-bridge') });
    const ok = await gql(q, svc, { c: 'API-B-1' });
    expect(ok.body.data.chargerRegistration.tenantId).toBe(tenantB);
    const unknown = await gql(q, svc, { c: 'NOPE' });
    expect(unknown.body.data.chargerRegistration).toBeNull();
    const denied = await gql(q, await userToken(tenantA), { c: 'API-B-1' });
    expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  describe('internal tokens: each key signs only for its issuer, each service only within its grant', () => {
    const CREATE = 'mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } userErrors { code } } }';
    const bridgeService = (over: Partial<Identity> = {}) =>
      bridge.issue({
        subject: 'protocol-bridge',
        kind: 'service',
        tenantId: tenantA,
        roles: [],
        permissions: serviceScopesOf('evcs-bridge'),
        dataScope: 'TENANT',
        visibleTenantIds: [tenantA],
        ...over,
      });

    it("refuses a router token minted with the bridge's key (issuer bound to key id)", async () => {
      const forgedAsRouter = new TokenIssuer(bridgeKeyForTests, 'evcs-router');
      const token = await forgedAsRouter.issue({
        subject: 'u-evil',
        kind: 'user',
        tenantId: tenantA,
        roles: ['OPERATOR_ADMIN'],
        permissions: ['station:read', 'station:write', 'charger:write'],
        dataScope: 'TENANT',
      });
      const r = await gql('{ stations { edges { node { name } } } }', token);
      expect(r.status).toBe(401);
      expect(r.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a bridge token calling a write mutation (FORBIDDEN), and writes nothing', async () => {
      const r = await gql(CREATE, await bridgeService(), { i: { code: 'BRIDGE-WROTE', name: 'by the bridge' } });
      expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(await withTenantScopeIds(tenantA, 'BRIDGE-WROTE')).toEqual([]);
    });

    it("refuses a bridge token claiming more than the bridge's grant, or a user's identity, or a tenant tree", async () => {
      for (const token of [
        await bridgeService({ permissions: [...serviceScopesOf('evcs-bridge'), 'station:write'] }),
        await bridgeService({ kind: 'user' }),
        await bridgeService({ dataScope: 'TENANT_AND_CHILDREN', visibleTenantIds: [tenantA, child] }),
      ]) {
        const r = await gql(CREATE, token, { i: { code: 'BRIDGE-WROTE-2', name: 'by the bridge' } });
        expect(r.status).toBe(401);
      }
      expect(await withTenantScopeIds(tenantA, 'BRIDGE-WROTE-2')).toEqual([]);
    });

    it('still lets the bridge look charger registrations up with its grant', async () => {
      const r = await gql(
        'query($c: String!) { chargerRegistration(code: $c) { tenantId } }',
        await bridgeService({ tenantId: null, dataScope: undefined, visibleTenantIds: undefined }),
        {
          c: 'API-A-1',
        },
      );
      expect(r.body.data.chargerRegistration.tenantId).toBe(tenantA);
      const without = await gql('query($c: String!) { chargerRegistration(code: $c) { tenantId } }', await bridgeService({ permissions: [] }), {
        c: 'API-A-1',
      });
      expect(without.body.errors[0].extensions.code).toBe('FORBIDDEN');
    });
  });

  const names = async (token: string) => {
    const r = await gql('{ stations { edges { node { name } } } }', token);
    if (r.body.errors) return r.body.errors[0].extensions.code as string;
    return (r.body.data.stations.edges as { node: { name: string } }[]).map((e) => e.node.name);
  };

  it('a station manager sees only assigned stations, and their chargers and connectors', async () => {
    const ids = await withTenantScopeIds(tenantA, 'S-A2');
    const tok = await userToken(tenantA, router, { dataScope: 'ASSIGNED_STATIONS', stationIds: ids });
    expect(await names(tok)).toEqual(['Alpha Two']);
    const other = await gql('query($c: String!) { chargerByCode(code: $c) { id } }', tok, { c: 'API-A-1' });
    expect(other.body.data.chargerByCode).toBeNull();
    const none = await userToken(tenantA, router, { dataScope: 'ASSIGNED_STATIONS', stationIds: [] });
    expect(await names(none)).toEqual([]);
  });

  it('TENANT_AND_CHILDREN reads down into listed children; the child sees nothing of its parent', async () => {
    const parent = await userToken(tenantA, router, { dataScope: 'TENANT_AND_CHILDREN', visibleTenantIds: [tenantA, child] });
    expect(await names(parent)).toEqual(['Alpha', 'Alpha Two', 'Child']);
    const childTok = await userToken(child, router, { dataScope: 'TENANT_AND_CHILDREN', visibleTenantIds: [child] });
    expect(await names(childTok)).toEqual(['Child']);
  });

  it('without station:read, or without a data scope, reads are FORBIDDEN', async () => {
    expect(await names(await userToken(tenantA, router, { permissions: [] }))).toBe('FORBIDDEN');
    expect(await names(await userToken(tenantA, router, { dataScope: undefined }))).toBe('FORBIDDEN');
  });

  it.each(['/health/../graphql', '/health/%2e%2e/graphql', '//graphql', '/GRAPHQL', '/graphql/', '/graphql.', '/health%2f..%2fgraphql'])(
    'path trick %s reaches neither GraphQL nor an allowlisted endpoint',
    async (p) => {
      // node:http sends the path as written (fetch would normalise it client-side)
      const status = await new Promise<number>((resolve, reject) => {
        const u = new URL(url);
        const req = http.request({ host: u.hostname, port: u.port, path: p, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(JSON.stringify({ query: STATIONS }));
      });
      expect(status).toBe(404);
    },
  );

  it('masks unexpected errors and validates input with a stable code', async () => {
    const r = await gql('{ stations(first: 0) { totalCount } }', await userToken(tenantA));
    expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
