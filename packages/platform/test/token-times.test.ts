import { decodeJwt } from 'jose';
import { generateSigningKey, TokenIssuer, TokenVerifier } from '../src';

/** What revocation relies on: `iat` can be held at a cut-off, and verifiers report it on every use, cached or not. */
describe('token times (iat, exp)', () => {
  const identity = { subject: 'u1', kind: 'user' as const, tenantId: 'tenant-a', roles: [], permissions: [] };
  let issuer: TokenIssuer;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    const key = await generateSigningKey('k1');
    issuer = new TokenIssuer(key, 'evcs-tenants', 'evcs-api', 60);
    verifier = new TokenVerifier({ keys: [key.publicJwk] }, ['evcs-tenants'], 'evcs-api');
  });

  it('stamps the current second as iat, and exp a lifetime later', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { iat, exp } = decodeJwt(await issuer.issue(identity));
    const after = Math.floor(Date.now() / 1000);
    expect(iat).toBeGreaterThanOrEqual(before);
    expect(iat).toBeLessThanOrEqual(after);
    expect(exp! - iat!).toBe(60);
  });

  it('never stamps an iat before notBefore, and a notBefore in the past changes nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(decodeJwt(await issuer.issue(identity, 60, { notBefore: now + 1 })).iat).toBe(now + 1);
    expect(decodeJwt(await issuer.issue(identity, 60, { notBefore: now - 100 })).iat).toBeGreaterThanOrEqual(now);
  });

  it('verifyToken reports iat and exp, the same from the cache as the first time', async () => {
    const token = await issuer.issue(identity);
    const { iat, exp } = decodeJwt(token);
    const first = await verifier.verifyToken(token);
    const second = await verifier.verifyToken(token);
    expect(first).toEqual({ identity: expect.objectContaining({ subject: 'u1' }), issuedAt: iat, expiresAt: exp, issuer: 'evcs-tenants', request: {} });
    expect(second).toEqual(first);
    await expect(verifier.verify(token)).resolves.toBe(first.identity);
  });
});
