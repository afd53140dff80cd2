import * as jose from 'jose';
import { generateSigningKey, internalTokenVerifier, issuerBoundJwks, serviceScopesOf, TokenIssuer, TokenVerifier } from '../src';

/** What an attacker can do with a token, and the verifier subgraphs and the router use. */
describe('token verification resists the classic attacks', () => {
  const identity = {
    subject: 'u1',
    kind: 'user' as const,
    tenantId: 'tenant-a',
    roles: ['VIEWER'],
    permissions: ['station:read'],
    dataScope: 'TENANT' as const,
  };
  let issuer: TokenIssuer;
  let verifier: TokenVerifier;
  let key: Awaited<ReturnType<typeof generateSigningKey>>;

  beforeAll(async () => {
    key = await generateSigningKey('k1');
    issuer = new TokenIssuer(key, 'evcs-tenants', 'evcs-api', 60);
    verifier = new TokenVerifier({ keys: [key.publicJwk] }, ['evcs-tenants'], 'evcs-api');
  });

  const sign = (claims: jose.JWTPayload, opts: { k?: jose.KeyLike; alg?: string; kid?: string } = {}) =>
    new jose.SignJWT({ kind: 'user', tid: 'tenant-a', roles: [], perms: [], ...claims })
      .setProtectedHeader({ alg: opts.alg ?? 'ES256', kid: opts.kid ?? 'k1' })
      .setSubject('u1')
      .setIssuedAt()
      .sign(opts.k ?? key.privateKey);

  it('accepts a genuine token', async () => {
    await expect(verifier.verify(await issuer.issue(identity))).resolves.toMatchObject({ tenantId: 'tenant-a', permissions: ['station:read'] });
  });

  it('rejects alg: none', async () => {
    const unsecured = new jose.UnsecuredJWT({ kind: 'user', tid: 'tenant-a', perms: ['tenant:admin'] })
      .setSubject('u1')
      .setIssuer('evcs-tenants')
      .setAudience('evcs-api')
      .setExpirationTime('1h')
      .encode();
    await expect(verifier.verify(unsecured)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects a token signed by another key, even under the trusted kid', async () => {
    const other = await generateSigningKey('k1');
    const forged = await sign({ iss: 'evcs-tenants', aud: 'evcs-api', exp: Math.floor(Date.now() / 1000) + 60 }, { k: other.privateKey });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects an HMAC token keyed with the public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const confused = await new jose.SignJWT({ kind: 'user', tid: 'tenant-a' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject('u1')
      .setIssuer('evcs-tenants')
      .setAudience('evcs-api')
      .setExpirationTime('1h')
      .sign(secret);
    await expect(verifier.verify(confused)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects an expired token (beyond the 5 s clock tolerance)', async () => {
    const expired = await sign({ iss: 'evcs-tenants', aud: 'evcs-api', exp: Math.floor(Date.now() / 1000) - 30 });
    await expect(verifier.verify(expired)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects the wrong audience and the wrong issuer', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    await expect(verifier.verify(await sign({ iss: 'evcs-tenants', aud: 'evcs-subgraphs', exp }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verifier.verify(await sign({ iss: 'someone-else', aud: 'evcs-api', exp }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    // an internal token (router → subgraph) is no client token
    const internal = await new TokenIssuer(key, 'evcs-router').issue(identity);
    await expect(verifier.verify(internal)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects tampered claims (another tenant, more permissions) with the original signature', async () => {
    const token = await issuer.issue(identity);
    const [h, p, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    for (const change of [{ tid: 'tenant-b' }, { perms: ['tenant:admin'] }, { ds: 'ALL' }, { exp: claims.exp + 3600 }]) {
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${sig}`;
      await expect(verifier.verify(tampered)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('rejects a token without expiry: it would never die', async () => {
    await expect(verifier.verify(await sign({ iss: 'evcs-tenants', aud: 'evcs-api' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('internal tokens: issuers bound to their keys', () => {
  it('refuses a key set for several issuers whose keys do not each name theirs', async () => {
    const a = await generateSigningKey('a');
    const b = await generateSigningKey('b');
    expect(() => new TokenVerifier({ keys: [a.publicJwk, b.publicJwk] }, ['evcs-router', 'evcs-bridge'])).toThrow(/names no accepted issuer/);
    expect(() => internalTokenVerifier(issuerBoundJwks({ 'evcs-router': [a.publicJwk], 'evcs-nobody': [b.publicJwk] }))).toThrow(/names no accepted issuer/);
    expect(() => new TokenVerifier(new URL('http://127.0.0.1:9/jwks'), ['evcs-router', 'evcs-bridge'])).toThrow(/one issuer/);
  });

  it("accepts each issuer's tokens from its own key only", async () => {
    const router = await generateSigningKey('router-1');
    const bridge = await generateSigningKey('bridge-1');
    const verifier = internalTokenVerifier(issuerBoundJwks({ 'evcs-router': [router.publicJwk], 'evcs-bridge': [bridge.publicJwk] }));
    const user = { subject: 'u1', kind: 'user' as const, tenantId: 't', roles: [], permissions: ['station:read'], dataScope: 'TENANT' as const };
    const service = { subject: 'protocol-bridge', kind: 'service' as const, tenantId: null, roles: [], permissions: serviceScopesOf('evcs-bridge') };
    expect((await verifier.verifyToken(await new TokenIssuer(router, 'evcs-router').issue(user))).issuer).toBe('evcs-router');
    expect((await verifier.verifyToken(await new TokenIssuer(bridge, 'evcs-bridge').issue(service))).issuer).toBe('evcs-bridge');
    await expect(verifier.verify(await new TokenIssuer(bridge, 'evcs-router').issue(user))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verifier.verify(await new TokenIssuer(router, 'evcs-bridge').issue(service))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    // the router relays users, never service identities
    await expect(verifier.verify(await new TokenIssuer(router, 'evcs-router').issue(service))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
