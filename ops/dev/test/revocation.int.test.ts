import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ACCESS_EVENTS_PARTITIONS, ACCESS_EVENTS_TOPIC, ACCESS_EVENTS_TOPIC_CONFIG, CHARGER_EVENTS_TOPIC } from '@evcs/events';
import {
  createKnex,
  createLogger,
  exportSigningKey,
  generateSigningKey,
  KafkaEventBus,
  kafkaNames,
  Knex,
  listen,
  OutboxRelay,
  PgOutbox,
  SubgraphServer,
  TokenIssuer,
  TokenVerifier,
} from '@evcs/platform';
import { createRouter, type Router } from '@evcs/router';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  createTenantsServer,
  JWKS_PATH,
  KeyRing,
  migrations,
  PasswordHasher,
  seedTenantWithAdmin,
} from '@evcs/tenants';
import { createTestDatabase, ensureKafka, eventually, REPO_ROOT, TestDatabase, uniqueName } from '@evcs/testkit';

jest.setTimeout(180_000);

const logger = createLogger('revocation-int', { level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const PASSWORD = 'correct horse battery';

interface GqlResult {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * Revocation through the real pieces, in one process: the tenants subgraph (real
 * Postgres, its outbox relay) and router instances (real Kafka, a namespace of
 * this test's own), talking HTTP. A role taken away through the API stops the
 * user's outstanding token at every router within moments — including a router
 * started afterwards.
 */
describe('access revocation, tenants subgraph → Kafka → routers', () => {
  let db: TestDatabase;
  let knex: Knex;
  let tenants: SubgraphServer;
  let tenantsUrl: string;
  let relay: OutboxRelay;
  let keysDir: string;
  let supergraphSdl: string;
  let clientVerifier: TokenVerifier;
  let internalIssuer: TokenIssuer;
  let brokers: string[];
  const names = kafkaNames(uniqueName('revoke'));
  const accessTopic = names.topic(ACCESS_EVENTS_TOPIC);
  const chargerTopic = names.topic(CHARGER_EVENTS_TOPIC);
  const running: { router: Router; bus: KafkaEventBus; url: string }[] = [];
  let tenantsBus: KafkaEventBus;
  const tenantId = randomUUID();
  const tenantCode = uniqueName('revoke-op').replace(/_/g, '-');

  async function startRouter(): Promise<{ router: Router; url: string }> {
    const instanceId = uniqueName('rt');
    const bus = new KafkaEventBus({ clientId: `router-${instanceId}`, brokers, logger, idempotent: false });
    const router = await createRouter({
      supergraphSdl,
      subgraphUrls: { tenants: tenantsUrl },
      clientVerifier,
      internalIssuer,
      bus,
      instanceId,
      logger: logger.child({ instanceId }),
      chargerEventsTopic: chargerTopic,
      accessEventsTopic: accessTopic,
      drainTimeoutMs: 1000,
    });
    await router.ready;
    const url = `http://127.0.0.1:${await listen(router.httpServer, 0)}/graphql`;
    running.push({ router, bus, url });
    return { router, url };
  }

  const gql = async (url: string, query: string, opts: { token?: string; variables?: Record<string, unknown> } = {}): Promise<GqlResult> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
      body: JSON.stringify({ query, variables: opts.variables }),
    });
    return { status: res.status, body: (await res.json()) as GqlResult['body'] };
  };
  const login = async (url: string, username: string) => {
    const r = await gql(url, 'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken userErrors { code } } }', {
      variables: { i: { tenantCode, username, password: PASSWORD } },
    });
    const p = r.body.data?.login as { accessToken: string | null; refreshToken: string } | undefined;
    if (!p?.accessToken) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
    return { access: p.accessToken, refresh: p.refreshToken };
  };
  const me = (url: string, token: string) => gql(url, '{ me { user { username } roles } }', { token });

  beforeAll(async () => {
    brokers = await ensureKafka();
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'tenants', pool: { max: 6 } });
    const hasher = new PasswordHasher({ ln: 10, r: 8, p: 1 });
    await seedTenantWithAdmin(knex, hasher, {
      id: tenantId,
      code: tenantCode,
      name: 'Revocation operator',
      type: 'OPERATOR',
      users: [
        { username: 'admin', password: PASSWORD, roles: ['OPERATOR_ADMIN'] },
        { username: 'viewer', password: PASSWORD, roles: ['VIEWER'] },
        { username: 'bystander', password: PASSWORD, roles: ['VIEWER'] },
      ],
    });

    keysDir = mkdtempSync(path.join(os.tmpdir(), 'evcs-revoke-keys-'));
    const authKey = await generateSigningKey(`auth-${randomUUID().slice(0, 8)}`);
    const keysFile = path.join(keysDir, 'auth-keys.json');
    writeFileSync(keysFile, JSON.stringify({ keys: [JSON.parse(await exportSigningKey(authKey))] }), { mode: 0o600 });
    const routerKey = await generateSigningKey(`router-${randomUUID().slice(0, 8)}`);
    internalIssuer = new TokenIssuer(routerKey, 'evcs-router');

    tenants = await createTenantsServer({
      knex,
      verifier: new TokenVerifier({ keys: [routerKey.publicJwk] }, ['evcs-router']),
      logger,
      keys: await KeyRing.load(keysFile),
      hasher,
    });
    const port = await listen(tenants.server, 0);
    tenantsUrl = `http://127.0.0.1:${port}/graphql`;
    clientVerifier = new TokenVerifier(new URL(`http://127.0.0.1:${port}${JWKS_PATH}`), [ACCESS_TOKEN_ISSUER], ACCESS_TOKEN_AUDIENCE);

    tenantsBus = new KafkaEventBus({ clientId: uniqueName('tenants'), brokers, logger });
    await tenantsBus.ensureTopics([
      { topic: accessTopic, partitions: ACCESS_EVENTS_PARTITIONS, config: ACCESS_EVENTS_TOPIC_CONFIG },
      { topic: chargerTopic, partitions: 1 },
    ]);
    // as the tenants process runs it (main.ts)
    relay = new OutboxRelay({ outbox: new PgOutbox(knex, 'tenants'), bus: tenantsBus, names, logger });
    relay.start();

    supergraphSdl = readFileSync(path.join(REPO_ROOT, 'schema/supergraph.graphql'), 'utf8');
    await startRouter();
    await startRouter();
  });

  afterAll(async () => {
    for (const r of running) {
      await r.router.close().catch(() => undefined);
      await r.bus.close().catch(() => undefined);
    }
    await relay?.stop();
    await tenantsBus?.close();
    await tenants?.stop();
    await knex?.destroy();
    await db?.drop();
    if (keysDir) rmSync(keysDir, { recursive: true, force: true });
  });

  it('a role taken away through the API: the same token is refused at every router within moments, new tokens work, others are untouched, and a router started later agrees', async () => {
    const [a, b] = running;
    const admin = await login(a.url, 'admin');
    const viewer = await login(a.url, 'viewer');
    const bystander = await login(b.url, 'bystander');
    for (const r of [a, b]) {
      const ok = await me(r.url, viewer.access);
      expect(ok.status).toBe(200);
      expect(ok.body.data.me).toEqual({ user: { username: 'viewer' }, roles: ['VIEWER'] });
    }

    // the admin takes the viewer's role away, through the router
    const users = await gql(a.url, '{ users(first: 10) { edges { node { id username } } } }', { token: admin.access });
    const viewerId = (users.body.data.users.edges as { node: { id: string; username: string } }[]).find((e) => e.node.username === 'viewer')!.node.id;
    const assigned = await gql(a.url, 'mutation($u: ID!) { assignRoles(userId: $u, roleIds: []) { userErrors { code } } }', {
      token: admin.access,
      variables: { u: viewerId },
    });
    expect(assigned.body.data.assignRoles.userErrors).toEqual([]);

    for (const r of [a, b]) {
      const refused = await eventually(
        async () => {
          const res = await me(r.url, viewer.access);
          return res.status === 401 ? res : undefined;
        },
        { what: `the viewer's old token refused by ${r.url}`, timeoutMs: 30_000 },
      );
      expect(refused.body.errors?.[0].extensions?.code).toBe('TOKEN_REVOKED');
    }

    // a token issued after the change works and says so; the refresh token still works too
    const fresh = await login(b.url, 'viewer');
    const now = await me(a.url, fresh.access);
    expect(now.status).toBe(200);
    expect(now.body.data.me).toEqual({ user: { username: 'viewer' }, roles: [] });
    const refreshed = await gql(a.url, 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken userErrors { code } } }', {
      variables: { t: viewer.refresh },
    });
    expect(refreshed.body.data.refreshToken.userErrors).toEqual([]);
    expect((await me(b.url, refreshed.body.data.refreshToken.accessToken as string)).body.data.me.roles).toEqual([]);

    // nobody else is affected
    for (const r of [a, b]) expect((await me(r.url, bystander.access)).body.data.me).toEqual({ user: { username: 'bystander' }, roles: ['VIEWER'] });
    expect((await me(a.url, admin.access)).status).toBe(200);

    // a router that starts now knows the revocation before it is ready
    const late = await startRouter();
    const refusedLate = await me(late.url, viewer.access);
    expect(refusedLate.status).toBe(401);
    expect(refusedLate.body.errors?.[0].extensions?.code).toBe('TOKEN_REVOKED');
    expect((await me(late.url, fresh.access)).status).toBe(200);
    expect((await me(late.url, bystander.access)).status).toBe(200);
  });
});
