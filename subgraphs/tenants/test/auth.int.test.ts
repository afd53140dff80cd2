import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeProtectedHeader } from 'jose';
import { ANONYMOUS, exportSigningKey, generateSigningKey, withTenant } from '@evcs/platform';
import { Harness, PASSWORD, seedHierarchy, startHarness } from './harness';

const LOGIN =
  'mutation($i: LoginInput!) { login(input: $i) { accessToken accessTokenExpiresAt refreshToken user { username } userErrors { code field message } } }';
const REFRESH = 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken userErrors { code message } } }';

describe('tenants auth: login, refresh rotation, lockout, logout, JWKS (real Postgres, real HTTP)', () => {
  let h: Harness;
  let s: Awaited<ReturnType<typeof seedHierarchy>>;

  beforeAll(async () => {
    h = await startHarness({ auth: { lockout: { maxFailures: 3, lockSeconds: 600 } } });
    s = await seedHierarchy(h);
  });
  afterAll(async () => h?.stop());

  const login = (tenantCode: string, username: string, password: string) => h.gql(LOGIN, { variables: { i: { tenantCode, username, password } } });
  const audit = (tenantId: string, type: string) =>
    withTenant(h.knex, tenantId, (trx) => trx('tenants.audit_events').where({ tenant_id: tenantId, type }).orderBy('id'));

  it('login returns an ES256 access token with kid, verifiable through the JWKS, carrying roles, permissions and scope', async () => {
    const r = await login(s.codes.opA, 'Admin', PASSWORD); // usernames are case-insensitive
    expect(r.body.errors).toBeUndefined();
    const p = r.body.data.login;
    expect(p.userErrors).toEqual([]);
    expect(p.user.username).toBe('admin');
    const header = decodeProtectedHeader(p.accessToken);
    expect(header.alg).toBe('ES256');
    expect(header.kid).toBeTruthy();
    const id = await h.clientVerifier.verify(p.accessToken);
    expect(id.tenantId).toBe(s.ids.opA);
    expect(id.roles).toEqual(['OPERATOR_ADMIN']);
    expect(id.permissions).toContain('station:write');
    // granted by migration 20261201000001 to the roles that register chargers
    expect(id.permissions).toContain('charger:write');
    expect(id.permissions).not.toContain('platform:cross-tenant');
    expect(id.dataScope).toBe('TENANT_AND_CHILDREN');
    // the operator reads down into its partners, never up or sideways
    expect([...(id.visibleTenantIds ?? [])].sort()).toEqual([s.ids.opA, s.ids.partnerA1, s.ids.partnerA2].sort());
    expect(new Date(p.accessTokenExpiresAt).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000 + 2000);
    expect((await audit(s.ids.opA, 'LOGIN_SUCCEEDED')).length).toBeGreaterThanOrEqual(1);
  });

  it('a station manager token lists exactly the assigned stations', async () => {
    const { identity } = await h.login(s.codes.opA, 'manager', PASSWORD);
    expect(identity.dataScope).toBe('ASSIGNED_STATIONS');
    expect(identity.stationIds).toEqual([s.station]);
    expect(identity.visibleTenantIds).toEqual([s.ids.opA]);
  });

  it('wrong password, unknown user and unknown tenant all answer the same INVALID_CREDENTIALS, and failures are audited', async () => {
    const answers = await Promise.all([
      login(s.codes.opB, 'viewer', 'wrong password!'),
      login(s.codes.opB, 'nobody', PASSWORD),
      login('no-such-tenant', 'viewer', PASSWORD),
    ]);
    for (const a of answers) {
      expect(a.body.data.login.accessToken).toBeNull();
      expect(a.body.data.login.userErrors).toEqual([{ code: 'INVALID_CREDENTIALS', field: null, message: 'Invalid tenant, username or password' }]);
    }
    const failed = await audit(s.ids.opB, 'LOGIN_FAILED');
    expect(failed.map((e: { details: { reason: string } }) => e.details.reason).sort()).toEqual(['BAD_PASSWORD', 'UNKNOWN_USER']);
    // the attempted password is never recorded
    expect(JSON.stringify(failed)).not.toContain('wrong password');
  });

  it('takes the request id and client address for the audit log only from the router-signed token, never from headers', async () => {
    const forged = { 'x-request-id': 'forged-request-id', 'x-forwarded-for': '203.0.113.66', 'x-real-ip': '203.0.113.66', 'x-evcs-client-ip': '203.0.113.66' };
    const post = (headers: Record<string, string>, username: string) =>
      fetch(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: LOGIN, variables: { i: { tenantCode: s.codes.opA, username, password: 'not the password' } } }),
      });
    // a direct caller writing the headers the audit log used to believe
    await post(forged, 'forged-direct');
    // the router relays the same sign-in with the request's claims in its signed token (anonymous identity)
    const relayed = await h.router.issue(ANONYMOUS, 60, { request: { requestId: 'router-request-7', clientIp: '198.51.100.7' } });
    const answer = await post({ ...forged, authorization: `Bearer ${relayed}` }, 'relayed');
    expect(answer.headers.get('x-request-id')).toBe('router-request-7');
    const rows = (await audit(s.ids.opA, 'LOGIN_FAILED')) as { ip: string | null; request_id: string | null; details: { username: string } }[];
    const direct = rows.find((r) => r.details.username === 'forged-direct')!;
    expect(direct.ip).not.toBe('203.0.113.66');
    expect(direct.request_id).not.toBe('forged-request-id');
    expect(rows.find((r) => r.details.username === 'relayed')).toMatchObject({ ip: '198.51.100.7', request_id: 'router-request-7' });
    // an anonymous token runs public operations only
    const me = await h.gql('{ me { id } }', { token: relayed });
    expect(me.status).toBe(401);
  });

  it('locks the account after consecutive failures, refuses even the right password while locked, and unlocks after the lock time', async () => {
    const code = s.codes.partnerA2;
    for (let i = 0; i < 3; i++) expect((await login(code, 'viewer', `nope-${i}-xxxxxx`)).body.data.login.userErrors[0].code).toBe('INVALID_CREDENTIALS');
    const locked = await login(code, 'viewer', PASSWORD);
    // A locked account answers exactly like an unknown user: the lock must not reveal that the username exists.
    const unknown = await login(code, 'no-such-user', PASSWORD);
    expect(locked.body.data.login).toEqual(unknown.body.data.login);
    expect(locked.body.data.login.userErrors).toEqual([{ code: 'INVALID_CREDENTIALS', field: null, message: 'Invalid tenant, username or password' }]);
    expect(await audit(s.ids.partnerA2, 'ACCOUNT_LOCKED')).toHaveLength(1);
    const reasons = (await audit(s.ids.partnerA2, 'LOGIN_FAILED')).map((e: { details: { reason: string } }) => e.details.reason);
    expect(reasons).toContain('ACCOUNT_LOCKED');
    h.clock.advance(601_000);
    const ok = await login(code, 'viewer', PASSWORD);
    expect(ok.body.data.login.accessToken).toBeTruthy();
    // success resets the count: two more failures don't lock
    for (let i = 0; i < 2; i++) await login(code, 'viewer', `nope-again-${i}`);
    expect((await login(code, 'viewer', PASSWORD)).body.data.login.accessToken).toBeTruthy();
  });

  it('refresh rotates; reusing a spent refresh token revokes the whole family, including its newest token', async () => {
    const first = await h.login(s.codes.opB, 'admin', PASSWORD);
    const r1 = await h.gql(REFRESH, { variables: { t: first.refresh } });
    const second = r1.body.data.refreshToken;
    expect(second.userErrors).toEqual([]);
    expect(second.refreshToken).not.toBe(first.refresh);
    expect((await h.clientVerifier.verify(second.accessToken)).tenantId).toBe(s.ids.opB);

    const reuse = await h.gql(REFRESH, { variables: { t: first.refresh } });
    expect(reuse.body.data.refreshToken.accessToken).toBeNull();
    expect(reuse.body.data.refreshToken.userErrors[0].code).toBe('TOKEN_REUSED');
    const afterReuse = await h.gql(REFRESH, { variables: { t: second.refreshToken } });
    expect(afterReuse.body.data.refreshToken.userErrors[0].code).toBe('INVALID_REFRESH_TOKEN');
    const events = await audit(s.ids.opB, 'TOKEN_REUSE');
    expect(events).toHaveLength(1);
    expect(events[0].details.revokedTokens).toBe(2);
    expect(JSON.stringify(events)).not.toContain(first.refresh);
  });

  it('concurrent refreshes of one token: exactly one succeeds', async () => {
    const { refresh } = await h.login(s.codes.opB, 'viewer', PASSWORD);
    const results = await Promise.all([1, 2, 3].map(() => h.gql(REFRESH, { variables: { t: refresh } })));
    const ok = results.filter((r) => r.body.data.refreshToken.accessToken);
    expect(ok).toHaveLength(1);
  });

  it('garbage, tampered and cross-tenant refresh tokens are refused the same way', async () => {
    const { refresh } = await h.login(s.codes.opB, 'viewer', PASSWORD);
    const [tid, id, secret] = refresh.split('.');
    const tampered = `${tid}.${id}.${secret.slice(0, -2)}${secret.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherTenant = `${s.ids.opA}.${id}.${secret}`;
    for (const t of ['nonsense', tampered, otherTenant]) {
      const r = await h.gql(REFRESH, { variables: { t } });
      expect(r.body.data.refreshToken.userErrors[0].code).toBe('INVALID_REFRESH_TOKEN');
    }
    // the real one still works: a failed guess does not burn it
    expect((await h.gql(REFRESH, { variables: { t: refresh } })).body.data.refreshToken.accessToken).toBeTruthy();
  });

  it('an expired refresh token is refused', async () => {
    const { refresh } = await h.login(s.codes.opB, 'viewer', PASSWORD);
    h.clock.advance(8 * 24 * 3600_000);
    const r = await h.gql(REFRESH, { variables: { t: refresh } });
    expect(r.body.data.refreshToken.userErrors[0].code).toBe('INVALID_REFRESH_TOKEN');
  });

  it('logout ends the sign-in; only its own user can log it out; logout needs a verified identity', async () => {
    const mine = await h.login(s.codes.opB, 'admin', PASSWORD);
    const other = await h.login(s.codes.opB, 'viewer', PASSWORD);
    const LOGOUT = 'mutation($t: String!) { logout(refreshToken: $t) { ok userErrors { code } } }';
    expect((await h.gql(LOGOUT, { variables: { t: mine.refresh } })).status).toBe(401);
    const notMine = await h.gql(LOGOUT, { token: other.internal, variables: { t: mine.refresh } });
    expect(notMine.body.data.logout).toEqual({ ok: false, userErrors: [{ code: 'INVALID_REFRESH_TOKEN' }] });
    const out = await h.gql(LOGOUT, { token: mine.internal, variables: { t: mine.refresh } });
    expect(out.body.data.logout).toEqual({ ok: true, userErrors: [] });
    expect((await h.gql(REFRESH, { variables: { t: mine.refresh } })).body.data.refreshToken.userErrors[0].code).toBe('INVALID_REFRESH_TOKEN');
  });

  it('me answers from the verified token', async () => {
    const { internal } = await h.login(s.codes.partnerA1, 'viewer', PASSWORD);
    const r = await h.gql('{ me { tenantId roles dataScope user { username tenantId } actor { userId } } }', { token: internal });
    expect(r.body.data.me).toEqual({
      tenantId: s.ids.partnerA1,
      roles: ['VIEWER'],
      dataScope: 'TENANT',
      user: { username: 'viewer', tenantId: s.ids.partnerA1 },
      actor: null,
    });
  });

  it('a suspended tenant cannot sign in', async () => {
    await h.owner('tenants.tenants').update({ status: 'SUSPENDED' }).where({ id: s.ids.partnerA1 });
    try {
      const r = await login(s.codes.partnerA1, 'admin', PASSWORD);
      expect(r.body.data.login.userErrors[0].code).toBe('ACCOUNT_DISABLED');
    } finally {
      await h.owner('tenants.tenants').update({ status: 'ACTIVE' }).where({ id: s.ids.partnerA1 });
    }
  });

  it('rotates signing keys without downtime: old tokens keep verifying, new ones use the new kid', async () => {
    const before = await h.login(s.codes.opA, 'viewer', PASSWORD);
    const oldKid = decodeProtectedHeader(before.access).kid;
    const next = await generateSigningKey('auth-next');
    const current = JSON.parse(readFileSync(h.keysFile, 'utf8')).keys;
    // step 1: publish the new key; step 2: sign with it
    writeFileSync(h.keysFile, JSON.stringify({ keys: [...current, JSON.parse(await exportSigningKey(next))] }));
    const jwks = (await (await fetch(h.jwksUrl)).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, 'auth-next'].sort());
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true); // public halves only
    writeFileSync(h.keysFile, JSON.stringify({ keys: [JSON.parse(await exportSigningKey(next)), ...current] }));
    // A verifier re-fetches the JWKS on an unknown kid, at most once per 5 s cooldown;
    // ours fetched moments ago, so let the cooldown pass as it would in production.
    await new Promise((r) => setTimeout(r, 5_200));
    const after = await h.login(s.codes.opA, 'viewer', PASSWORD);
    expect(decodeProtectedHeader(after.access).kid).toBe('auth-next');
    await expect(h.clientVerifier.verify(after.access)).resolves.toMatchObject({ tenantId: s.ids.opA });
    await expect(h.clientVerifier.verify(before.access)).resolves.toMatchObject({ tenantId: s.ids.opA });
  });

  it('the JWKS path matches exactly: path tricks do not reach it', async () => {
    const base = h.jwksUrl.replace('/.well-known/jwks.json', '');
    for (const p of [
      '/.well-known/jwks.json/',
      '/.well-known/JWKS.json',
      '/.well-known/./jwks.json',
      '/x/../.well-known/jwks.json',
      '/.well-known%2fjwks.json',
    ]) {
      const status = await new Promise<number>((resolve, reject) => {
        const u = new URL(base);
        const req = http.request({ host: u.hostname, port: u.port, path: p }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect({ p, status }).toEqual({ p, status: 404 });
    }
  });
});
