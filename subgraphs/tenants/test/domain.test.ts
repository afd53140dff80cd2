import { accessIdentity, canGrant, widestScope } from '../src/domain/access';
import { PasswordHasher } from '../src/domain/password';
import { hashRefreshToken, newRefreshToken, parseRefreshToken } from '../src/domain/refresh-token';
import { allowedChildTypes, checkPassword, checkQuotas, checkTenantCode, checkUsername } from '../src/domain/rules';

describe('password hashing (scrypt, PHC strings)', () => {
  const h = new PasswordHasher({ ln: 10, r: 8, p: 1 });

  it('verifies the right password only, with a fresh salt each time', async () => {
    const a = await h.hash('correct horse battery');
    const b = await h.hash('correct horse battery');
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(a).not.toBe(b);
    expect(await h.verify('correct horse battery', a)).toBe(true);
    expect(await h.verify('correct horse batterY', a)).toBe(false);
  });

  it('normalises Unicode so the same password typed differently verifies', async () => {
    const composed = await h.hash('caf\u00e9 password');
    expect(await h.verify('cafe\u0301 password', composed)).toBe(true);
  });

  it('never verifies a malformed or absurdly expensive stored hash', async () => {
    expect(await h.verify('x', 'plain')).toBe(false);
    expect(await h.verify('x', '$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(false);
  });

  it('asks for a rehash when the parameters change', async () => {
    const old = await h.hash('correct horse battery');
    expect(h.needsRehash(old)).toBe(false);
    expect(new PasswordHasher({ ln: 11, r: 8, p: 1 }).needsRehash(old)).toBe(true);
    expect(await new PasswordHasher({ ln: 11, r: 8, p: 1 }).verify('correct horse battery', old)).toBe(true);
  });
});

describe('access identity', () => {
  const role = (code: string, dataScope: any, permissions: string[]) => ({ code, dataScope, permissions });

  it('takes the widest scope and the union of known permissions', () => {
    const id = accessIdentity({
      userId: 'u',
      tenantId: 't',
      roles: [role('VIEWER', 'TENANT', ['station:read', 'bogus:perm']), role('MGR', 'ASSIGNED_STATIONS', ['charger:command'])],
      descendantTenantIds: ['c1'],
      stationIds: ['s1'],
    });
    expect(id).toEqual({
      subject: 'u',
      kind: 'user',
      tenantId: 't',
      roles: ['MGR', 'VIEWER'],
      permissions: ['charger:command', 'station:read'],
      dataScope: 'TENANT',
      visibleTenantIds: ['t'],
    });
  });

  it('lists descendants only for scopes that read downwards, and stations only for ASSIGNED_STATIONS', () => {
    const op = accessIdentity({
      userId: 'u',
      tenantId: 't',
      roles: [role('OP', 'TENANT_AND_CHILDREN', [])],
      descendantTenantIds: ['c2', 'c1', 't'],
      stationIds: ['s'],
    });
    expect(op.visibleTenantIds).toEqual(['t', 'c1', 'c2']);
    expect(op.stationIds).toBeUndefined();
    const mgr = accessIdentity({
      userId: 'u',
      tenantId: 't',
      roles: [role('M', 'ASSIGNED_STATIONS', [])],
      descendantTenantIds: ['c1'],
      stationIds: ['s2', 's1', 's1'],
    });
    expect(mgr.visibleTenantIds).toEqual(['t']);
    expect(mgr.stationIds).toEqual(['s1', 's2']);
  });

  it('a user without roles reads only their own things', () => {
    expect(widestScope([])).toBe('SELF');
  });

  it('nobody grants a permission they lack or a scope wider than theirs, services included', () => {
    const actor = { kind: 'user' as const, subject: 'u', tenantId: 't', permissions: ['station:read'], dataScope: 'TENANT' as const };
    expect(canGrant(actor, ['station:read'], 'TENANT')).toEqual({ ok: true });
    expect(canGrant(actor, ['station:write'], null)).toEqual({ ok: false, missing: ['station:write'], scopeTooWide: false });
    expect(canGrant(actor, [], 'ALL')).toEqual({ ok: false, missing: [], scopeTooWide: true });
    expect(canGrant({ ...actor, kind: 'service', dataScope: null }, ['tenant:admin'], 'ALL')).toEqual({
      ok: false,
      missing: ['tenant:admin'],
      scopeTooWide: true,
    });
  });
});

describe('refresh tokens', () => {
  it('round-trips tenant and token id; only the hash is stored', () => {
    const t = newRefreshToken('11111111-2222-4333-8444-555555555555');
    const parts = parseRefreshToken(t.token);
    expect(parts).toMatchObject({ tenantId: '11111111-2222-4333-8444-555555555555', tokenId: t.tokenId });
    expect(t.hash.equals(hashRefreshToken(t.token))).toBe(true);
    expect(t.hash.toString('hex')).not.toContain(parts!.secret);
  });

  it('rejects anything not shaped like one', () => {
    for (const bad of ['', 'a.b.c', `${'x'.repeat(36)}.${'y'.repeat(36)}.${'z'.repeat(43)}`, 'eyJhbGciOiJub25lIn0.e30.'])
      expect(parseRefreshToken(bad)).toBeNull();
  });
});

describe('input rules', () => {
  it('tenant types nest downwards only', () => {
    expect(allowedChildTypes('PLATFORM')).toEqual(['OPERATOR', 'PARTNER']);
    expect(allowedChildTypes('OPERATOR')).toEqual(['PARTNER']);
    expect(allowedChildTypes('PARTNER')).toEqual([]);
  });

  it('names the field at fault', () => {
    expect(checkTenantCode('Bad Code')[0].field).toBe('code');
    expect(checkUsername('a')[0].field).toBe('username');
    expect(checkPassword('short')[0].message).toMatch(/10–256/);
    expect(checkQuotas({ maxUsers: -1, maxStations: 1.5, maxChargers: null }).map((e) => e.field)).toEqual(['quotas.maxUsers', 'quotas.maxStations']);
    expect(checkTenantCode('good-code_1')).toEqual([]);
  });
});
