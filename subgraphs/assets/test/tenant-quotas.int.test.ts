import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { generateSigningKey, listen, ServiceGraphQLClient, SigningKey, TokenIssuer } from '@evcs/platform';
import { ASSETS_TOKEN_ISSUER, HttpTenantQuotas } from '../src';
import { FakeTenants, startFakeTenants } from './fake-tenants';

/** The quota client against a real HTTP server that checks tokens like a subgraph does. */
describe('HttpTenantQuotas (real HTTP, verified service tokens)', () => {
  let key: SigningKey;
  let tenants: FakeTenants;

  beforeAll(async () => {
    key = await generateSigningKey('assets-k');
    tenants = await startFakeTenants([key.publicJwk]);
  });
  afterAll(async () => {
    await tenants?.stop();
  });

  const client = (k: SigningKey = key, issuer = ASSETS_TOKEN_ISSUER, url?: string, timeoutMs?: number) =>
    new HttpTenantQuotas(new ServiceGraphQLClient({ url: url ?? tenants.url, tokens: new TokenIssuer(k, issuer), subject: 'assets', timeoutMs }));

  it('returns the limits (null = unlimited) and reuses one short-lived service token', async () => {
    const t = randomUUID();
    tenants.quotas.set(t, { maxStations: 10, maxChargers: null, maxUsers: 5 });
    const c = client();
    const before = tenants.calls.length;
    expect(await c.quotasOf(t)).toEqual({ tenantId: t, maxStations: 10, maxChargers: null });
    expect(await c.quotasOf(t)).toEqual({ tenantId: t, maxStations: 10, maxChargers: null });
    expect(tenants.calls.slice(before)).toEqual([{ subject: 'assets' }, { subject: 'assets' }]);
  });

  it('null for a tenant the tenants service does not know', async () => {
    expect(await client().quotasOf(randomUUID())).toBeNull();
  });

  const unavailable = { code: 'DEPENDENCY_UNAVAILABLE', retriable: true };

  it('a token the tenants service does not trust (wrong key or issuer) is unavailable, not unlimited', async () => {
    const t = randomUUID();
    tenants.quotas.set(t, { maxStations: 1, maxChargers: 1, maxUsers: 1 });
    await expect(client(await generateSigningKey('rogue')).quotasOf(t)).rejects.toMatchObject(unavailable);
    await expect(client(key, 'evcs-router').quotasOf(t)).rejects.toMatchObject(unavailable);
    expect(tenants.calls.slice(-2).every((c) => c.error)).toBe(true);
  });

  it('unreachable, 503, the placeholder schema without tenantQuotas: all unavailable', async () => {
    const t = randomUUID();
    await expect(client(key, ASSETS_TOKEN_ISSUER, 'http://127.0.0.1:9/graphql').quotasOf(t)).rejects.toMatchObject(unavailable);
    tenants.down = true;
    await expect(client().quotasOf(t)).rejects.toMatchObject(unavailable);
    tenants.down = false;
    tenants.offerQuotas = false;
    await expect(client().quotasOf(t)).rejects.toMatchObject({ ...unavailable, message: expect.stringContaining('GRAPHQL_VALIDATION_FAILED') });
    tenants.offerQuotas = true;
  });

  it('a slow answer times out as unavailable; an answer about another tenant is refused', async () => {
    const other = randomUUID();
    let mode: 'slow' | 'wrong' = 'slow';
    const srv = http.createServer((req, res) => {
      req.resume();
      if (mode === 'slow') return void setTimeout(() => res.end('{}'), 2000).unref();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { tenantQuotas: { tenantId: other, maxStations: null, maxChargers: null } } }));
    });
    const url = `http://127.0.0.1:${await listen(srv, 0)}/graphql`;
    try {
      await expect(client(key, ASSETS_TOKEN_ISSUER, url, 200).quotasOf(randomUUID())).rejects.toMatchObject(unavailable);
      mode = 'wrong';
      await expect(client(key, ASSETS_TOKEN_ISSUER, url).quotasOf(randomUUID())).rejects.toMatchObject(unavailable);
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });
});
