import { randomUUID } from 'node:crypto';
import { sourceAllowed } from '../src/connections/charger-security';
import type { LiveConnection } from '../src/connections/registry';
import { InMemoryChargerDirectory, registrationOf } from '../src/directory';
import { InMemorySecurityRecorder } from '../src/connections/charger-security';
import { checkYkcLogin, mismatchingFields, YKC_ALIVE_MS } from '../src/ykc/login-check';
import type { LoginRequest } from '../src/ykc/messages';

const PILE = '32010000000042';
const login = (over: Partial<LoginRequest> = {}): LoginRequest => ({
  pileNo: PILE,
  pileType: 0,
  guns: 2,
  protocolVersion: 0x10,
  programVersion: 'V1',
  network: 0,
  sim: '89860012345678901234',
  carrier: 4,
  ...over,
});
const identity = { sim: '89860012345678901234', pileType: 0, guns: 2, network: 0, carrier: 4 };
const now = new Date('2026-12-01T00:00:00Z');

describe('YKC login check', () => {
  const reg = registrationOf({ tenantId: randomUUID(), chargerId: randomUUID(), protocol: 'YKC', ykcIdentity: identity });
  const deps = (dir = new InMemoryChargerDirectory()) => ({ directory: dir, security: new InMemorySecurityRecorder(dir), now: () => now });
  const live = (remoteAddress: string, silentMs: number) =>
    ({ remoteAddress, session: { lastSeenAt: new Date(now.getTime() - silentMs) } }) as unknown as LiveConnection;

  it('admits the registered identity, from anywhere when no networks are listed', async () => {
    expect(await checkYkcLogin(deps(), reg, login(), '203.0.113.9', undefined)).toEqual({ ok: true });
  });

  it('names the fields that differ; versions are not compared; ICCIDs compare as 20 digits', async () => {
    expect(mismatchingFields(identity, { ...identity, protocolVersion: 0x0f, programVersion: 'V2' })).toEqual([]);
    expect(mismatchingFields({ ...identity, sim: '12345' }, { ...identity, sim: '00000000000000012345' })).toEqual([]);
    const r = await checkYkcLogin(deps(), reg, login({ sim: '89860000000000000001', guns: 1 }), '203.0.113.9', undefined);
    expect(r).toMatchObject({ ok: false, reason: 'identity_mismatch', detail: { fields: ['sim', 'guns'] } });
  });

  it('refuses an OCPP registration, a foreign network, and a second login from elsewhere while the first lives', async () => {
    expect(await checkYkcLogin(deps(), { ...reg, protocol: 'OCPP16' }, login(), '10.0.0.1', undefined)).toMatchObject({ ok: false, reason: 'not_a_ykc_pile' });
    const fenced = { ...reg, allowedSourceCidrs: ['10.8.0.0/16'] };
    expect(await checkYkcLogin(deps(), fenced, login(), '10.9.0.1', undefined)).toMatchObject({ ok: false, reason: 'source_network' });
    expect(await checkYkcLogin(deps(), fenced, login(), '::ffff:10.8.3.4', undefined)).toEqual({ ok: true });
    expect(await checkYkcLogin(deps(), reg, login(), '10.0.0.2', live('10.0.0.1', 1_000))).toMatchObject({ ok: false, reason: 'already_connected' });
    // the same address takes over; a connection silent for three heartbeats is gone
    expect(await checkYkcLogin(deps(), reg, login(), '10.0.0.1', live('10.0.0.1', 1_000))).toEqual({ ok: true });
    expect(await checkYkcLogin(deps(), reg, login(), '10.0.0.2', live('10.0.0.1', YKC_ALIVE_MS + 1))).toEqual({ ok: true });
  });

  it('without a registered identity: refused, unless the tenant learns it — once', async () => {
    const bare = { ...reg, ykcIdentity: null };
    expect(await checkYkcLogin(deps(), bare, login(), '10.0.0.1', undefined)).toMatchObject({ ok: false, reason: 'identity_not_registered' });
    const dir = new InMemoryChargerDirectory({ [PILE]: { ...bare, learnYkcIdentityOnFirstLogin: true } });
    const d = deps(dir);
    expect(await checkYkcLogin(d, { ...bare, learnYkcIdentityOnFirstLogin: true }, login(), '10.0.0.1', undefined)).toEqual({ ok: true });
    expect((await dir.resolve(PILE))?.ykcIdentity).toMatchObject({ sim: '89860012345678901234', guns: 2 });
    // a second "first" login (another bridge's stale view) meets the learned identity
    const stale = { ...bare, learnYkcIdentityOnFirstLogin: true };
    expect(await checkYkcLogin(d, stale, login({ sim: '1' }), '10.0.0.1', undefined)).toMatchObject({ ok: false, reason: 'identity_mismatch' });
  });

  it('sourceAllowed: IPv4, IPv6, mapped addresses, and nothing when the peer is unknown', () => {
    expect(sourceAllowed([], undefined)).toBe(true);
    expect(sourceAllowed(['10.0.0.0/8'], undefined)).toBe(false);
    expect(sourceAllowed(['2001:db8::/32'], '2001:db8::1')).toBe(true);
    expect(sourceAllowed(['2001:db8::/32', '192.0.2.7/32'], '::ffff:192.0.2.7')).toBe(true);
    expect(sourceAllowed(['192.0.2.7/32'], '192.0.2.8')).toBe(false);
  });
});
