import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createKnex,
  createLogger,
  exportSigningKey,
  generateSigningKey,
  Identity,
  Knex,
  listen,
  SubgraphServer,
  TokenIssuer,
  TokenVerifier,
  internalTokenVerifier,
  issuerBoundJwks,
  serviceScopesOf,
} from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, createTenantsServer, JWKS_PATH, KeyRing, migrations, PasswordHasher, seedTenantWithAdmin } from '../src';
import type { Clock } from '../src/domain/clock';
import type { AuthSettings } from '../src/domain/auth-service';

/** Cheap scrypt for tests: the cost parameters are what differs, not the code path. */
export const testHasher = () => new PasswordHasher({ ln: 10, r: 8, p: 1 });

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = Date.now()) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Harness {
  db: TestDatabase;
  knex: Knex;
  owner: Knex;
  url: string;
  jwksUrl: string;
  keysFile: string;
  clock: ManualClock;
  hasher: PasswordHasher;
  /** what the router does: verify the client's access token against the JWKS, sign an internal token */
  clientVerifier: TokenVerifier;
  router: TokenIssuer;
  /** a platform service's identity (e.g. assets asking for quotas) */
  /** a service token as `issuer` signs them (its grant's scopes): assets asks for quotas, the bridge authorizes id tags */
  serviceToken(issuer?: 'evcs-assets' | 'evcs-bridge'): Promise<string>;
  asRouter(accessToken: string): Promise<string>;
  gql(query: string, opts?: { token?: string; variables?: Record<string, unknown> }): Promise<{ status: number; body: any }>;
  /** login through the API, then the internal token the router would send */
  login(tenantCode: string, username: string, password: string): Promise<{ access: string; refresh: string; internal: string; identity: Identity }>;
  stop(): Promise<void>;
}

export async function startHarness(opts: { auth?: Partial<AuthSettings> } = {}): Promise<Harness> {
  const db = await createTestDatabase([migrations]);
  const knex = createKnex({ connectionString: db.appUrl, schema: 'tenants', pool: { max: 8 } });
  const owner = createKnex({ connectionString: db.ownerUrl, schema: 'tenants', pool: { max: 2 } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'evcs-tenants-keys-'));
  const keysFile = path.join(dir, 'auth-keys.json');
  const k1 = await generateSigningKey(`auth-${randomUUID().slice(0, 8)}`);
  writeFileSync(keysFile, JSON.stringify({ keys: [JSON.parse(await exportSigningKey(k1))] }), { mode: 0o600 });
  const routerKey = await generateSigningKey('router-test');
  const serviceKey = await generateSigningKey('assets-test');
  const router = new TokenIssuer(routerKey, 'evcs-router');
  const bridgeKey = await generateSigningKey('bridge-test');
  const services = { 'evcs-assets': new TokenIssuer(serviceKey, 'evcs-assets'), 'evcs-bridge': new TokenIssuer(bridgeKey, 'evcs-bridge') };
  const verifier = internalTokenVerifier(
    issuerBoundJwks({ 'evcs-router': [routerKey.publicJwk], 'evcs-assets': [serviceKey.publicJwk], 'evcs-bridge': [bridgeKey.publicJwk] }),
  );
  const clock = new ManualClock();
  const hasher = testHasher();
  const keys = await KeyRing.load(keysFile, 0);
  const srv: SubgraphServer = await createTenantsServer({
    knex,
    verifier,
    logger: createLogger('tenants-test', { level: 'silent' }),
    keys,
    hasher,
    clock,
    auth: opts.auth,
  });
  const port = await listen(srv.server, 0);
  const url = `http://127.0.0.1:${port}/graphql`;
  const jwksUrl = `http://127.0.0.1:${port}${JWKS_PATH}`;
  const clientVerifier = new TokenVerifier(new URL(jwksUrl), [ACCESS_TOKEN_ISSUER], ACCESS_TOKEN_AUDIENCE);

  const gql: Harness['gql'] = async (query, o = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      body: JSON.stringify({ query, variables: o.variables }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const asRouter = async (access: string) => router.issue(await clientVerifier.verify(access));
  const h: Harness = {
    db,
    knex,
    owner,
    url,
    jwksUrl,
    keysFile,
    clock,
    hasher,
    clientVerifier,
    router,
    serviceToken: (issuer = 'evcs-assets') =>
      services[issuer].issue({ subject: issuer.slice(5), kind: 'service', tenantId: null, roles: [], permissions: serviceScopesOf(issuer) }),
    asRouter,
    gql,
    login: async (tenantCode, username, password) => {
      const r = await gql('mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken userErrors { code field message } } }', {
        variables: { i: { tenantCode, username, password } },
      });
      const p = r.body.data?.login;
      if (!p?.accessToken) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
      const identity = await clientVerifier.verify(p.accessToken);
      return { access: p.accessToken, refresh: p.refreshToken, internal: await router.issue(identity), identity };
    },
    stop: async () => {
      await srv.stop();
      await knex.destroy();
      await owner.destroy();
      await db.drop();
    },
  };
  return h;
}

export const PASSWORD = 'correct horse battery';

/** A platform tenant with an operator and partners below it, each with users of the seed roles. */
export async function seedHierarchy(h: Harness) {
  const ids = { platform: randomUUID(), opA: randomUUID(), opB: randomUUID(), partnerA1: randomUUID(), partnerA2: randomUUID() };
  const codes = Object.fromEntries(Object.keys(ids).map((k) => [k, `${k.toLowerCase()}-${randomUUID().slice(0, 8)}`])) as Record<keyof typeof ids, string>;
  const station = randomUUID();
  const users = (admin: string) => [
    { username: 'admin', password: PASSWORD, roles: [admin] },
    { username: 'viewer', password: PASSWORD, roles: ['VIEWER'] },
    { username: 'manager', password: PASSWORD, roles: ['STATION_MANAGER'], stationIds: [station] },
  ];
  await seedTenantWithAdmin(h.knex, h.hasher, { id: ids.platform, code: codes.platform, name: 'Platform', type: 'PLATFORM', users: users('PLATFORM_ADMIN') });
  await seedTenantWithAdmin(h.knex, h.hasher, {
    id: ids.opA,
    parentId: ids.platform,
    code: codes.opA,
    name: 'Operator A',
    type: 'OPERATOR',
    users: users('OPERATOR_ADMIN'),
  });
  await seedTenantWithAdmin(h.knex, h.hasher, {
    id: ids.opB,
    parentId: ids.platform,
    code: codes.opB,
    name: 'Operator B',
    type: 'OPERATOR',
    users: users('OPERATOR_ADMIN'),
  });
  for (const p of ['partnerA1', 'partnerA2'] as const) {
    await seedTenantWithAdmin(h.knex, h.hasher, { id: ids[p], parentId: ids.opA, code: codes[p], name: p, type: 'PARTNER', users: users('OPERATOR_ADMIN') });
  }
  return { ids, codes, station };
}
