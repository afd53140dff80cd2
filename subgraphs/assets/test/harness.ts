import { randomUUID } from 'node:crypto';
import {
  createKnex,
  createLogger,
  generateSigningKey,
  Identity,
  Knex,
  listen,
  ServiceGraphQLClient,
  SubgraphServer,
  TokenIssuer,
  TokenVerifier,
  withTenant,
} from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { ASSETS_TOKEN_ISSUER, createAssetsServer, HttpTenantQuotas, migrations } from '../src';
import { FakeTenants, startFakeTenants } from './fake-tenants';

/**
 * The assets subgraph as it runs: real Postgres (own database), real HTTP, and
 * quotas asked over HTTP of a tenants-subgraph double with the assets service's
 * own signed service token.
 */
export interface Harness {
  db: TestDatabase;
  knex: Knex;
  /** http://127.0.0.1:<port> */
  origin: string;
  tenants: FakeTenants;
  gql(query: string, token: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }>;
  /** a user token for `tenantId`; defaults: OPERATOR_ADMIN-like, station:read + station:write, TENANT scope */
  token(tenantId: string | null, extra?: Partial<Identity>): Promise<string>;
  /** a tenant known to the tenants double, with these limits (null = unlimited) */
  tenant(limits?: { maxStations?: number | null; maxChargers?: number | null }): string;
  stationId(tenantId: string, code: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startHarness(opts: { diagnosticsSecret?: string } = {}): Promise<Harness> {
  const db: TestDatabase = await createTestDatabase([migrations]);
  const knex = createKnex({ connectionString: db.appUrl, schema: 'assets' });
  const routerKey = await generateSigningKey('router-k');
  const assetsKey = await generateSigningKey('assets-k');
  const tenants = await startFakeTenants([assetsKey.publicJwk]);
  const router = new TokenIssuer(routerKey, 'evcs-router');
  const verifier = new TokenVerifier({ keys: [routerKey.publicJwk] }, ['evcs-router']);
  const quotas = new HttpTenantQuotas(
    new ServiceGraphQLClient({ url: tenants.url, tokens: new TokenIssuer(assetsKey, ASSETS_TOKEN_ISSUER), subject: 'assets' }),
  );
  // the upload URL is known once the server listens; the service reads it when a command is made
  const diagnostics = opts.diagnosticsSecret ? { baseUrl: '', secret: opts.diagnosticsSecret } : undefined;
  const srv: SubgraphServer = await createAssetsServer({ knex, verifier, quotas, logger: createLogger('assets-harness', { level: 'silent' }), diagnostics });
  const origin = `http://127.0.0.1:${await listen(srv.server, 0)}`;
  const url = `${origin}/graphql`;
  if (diagnostics) diagnostics.baseUrl = origin;
  return {
    db,
    knex,
    origin,
    tenants,
    async gql(query, token, variables) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as any };
    },
    token: (tenantId, extra = {}) =>
      router.issue({
        subject: `u-${randomUUID()}`,
        kind: 'user',
        tenantId,
        roles: ['OPERATOR_ADMIN'],
        permissions: ['station:read', 'station:write'],
        dataScope: 'TENANT',
        ...extra,
      }),
    tenant(limits = {}) {
      const id = randomUUID();
      tenants.quotas.set(id, { maxStations: limits.maxStations ?? null, maxChargers: limits.maxChargers ?? null, maxUsers: null });
      return id;
    },
    stationId: (tenantId, code) =>
      withTenant(knex, tenantId, async (trx) => ((await trx('stations').where({ tenant_id: tenantId, code }).first('id')) as { id: string }).id),
    async stop() {
      await srv.stop();
      await tenants.stop();
      await knex.destroy();
      await db.drop();
    },
  };
}

export const STATION_FIELDS = 'id code name address latitude longitude timezone status version retiredAt';
export const CHARGER_FIELDS =
  'id code protocol currentType ratedPowerKw vendor model firmwareVersion registrationState online version retiredAt station { id }';
export const ERRORS = 'userErrors { code field message }';
