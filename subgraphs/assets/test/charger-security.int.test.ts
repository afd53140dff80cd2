import { decodeAssetEvent } from '@evcs/events';
import { verifyChargerPassword, withTenant } from '@evcs/platform';
import { Harness, startHarness } from './harness';

const ERRORS = 'userErrors { code field message }';
const CREATE = `mutation($input: CreateChargerInput!) { createCharger(input: $input) { charger { id code security { securityProfile hasPassword ykcIdentity { sim } } } credential { password securityProfile } ${ERRORS} } }`;
const ROTATE = `mutation($id: ID!, $pw: String) { rotateChargerCredential(chargerId: $id, password: $pw) { credential { chargerId password securityProfile } ${ERRORS} } }`;
const REVOKE = `mutation($id: ID!, $reason: String!) { revokeChargerCredential(chargerId: $id, reason: $reason) { security { chargerId hasPassword passwordSetAt credentialRevokedAt } ${ERRORS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateChargerSecurityInput!) { updateChargerSecurity(chargerId: $id, input: $input) { security { securityProfile allowedSourceCidrs desKeyRef } ${ERRORS} } }`;
const REGISTER_YKC = `mutation($id: ID!, $i: YkcPileIdentityInput!) { registerYkcPileIdentity(chargerId: $id, identity: $i) { security { ykcIdentity { sim pileType guns network carrier } ykcIdentitySource } ${ERRORS} } }`;
const RESET_YKC = `mutation($id: ID!) { resetYkcPileIdentity(chargerId: $id) { security { ykcIdentity { sim } ykcIdentitySource } ${ERRORS} } }`;
const POLICY = `mutation($i: ChargerSecurityPolicyInput!) { setChargerSecurityPolicy(input: $i) { policy { allowProfile0Commissioning learnYkcIdentityOnFirstLogin allowedSourceCidrs } ${ERRORS} } }`;
const LOG = '{ assetAuditLog(first: 50) { id actor action target before after requestId at } }';
const WRITER = { permissions: ['station:read', 'station:write', 'charger:write', 'audit:read'] };

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function setup(tenantId = h.tenant()) {
  const token = await h.token(tenantId, WRITER);
  const st = await h.gql('mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } } }', token, {
    i: { code: `S-${Math.random().toString(36).slice(2, 8)}`, name: 'Depot' },
  });
  return { tenantId, token, stationId: st.body.data.createStation.station.id as string };
}
const ocpp = (stationId: string, over: Record<string, unknown> = {}) => ({
  stationId,
  code: `CP-${Math.random().toString(36).slice(2, 10)}`,
  protocol: 'OCPP16',
  currentType: 'DC',
  ratedPowerKw: '60',
  ...over,
});
const ykc = (stationId: string, over: Record<string, unknown> = {}) => ({
  stationId,
  code: `3201${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`,
  protocol: 'YKC',
  currentType: 'DC',
  ratedPowerKw: '60',
  ...over,
});
const IDENTITY = { sim: '89860012345678901234', pileType: 0, guns: 2, network: 0, carrier: 4 };

describe('charger security (credentials, profiles, YKC identities, tenant policy, audit)', () => {
  it('registering an OCPP charger generates its password, returned once; only a hash is stored and nothing secret is audited', async () => {
    const { token, stationId, tenantId } = await setup();
    const r = await h.gql(CREATE, token, { input: ocpp(stationId) });
    const { charger, credential, userErrors } = r.body.data.createCharger;
    expect(userErrors).toEqual([]);
    expect(credential).toEqual({ password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/), securityProfile: 1 });
    expect(charger.security).toEqual({ securityProfile: 1, hasPassword: true, ykcIdentity: null });
    const [row] = await withTenant(h.knex, tenantId, (trx) => trx('charger_security').where({ charger_id: charger.id }).select('password_hash'));
    expect(row.password_hash).toMatch(/^scrypt\$/);
    const log = await h.gql(LOG, token);
    expect(log.body.data.assetAuditLog[0]).toMatchObject({
      action: 'CHARGER_REGISTERED',
      target: `charger:${charger.id}`,
      after: { securityProfile: 1, hasPassword: true },
    });
    expect(JSON.stringify(log.body)).not.toContain(credential.password);
    expect(JSON.stringify(log.body)).not.toContain(row.password_hash);
    // read back, the password is not there to be read
    const again = await h.gql('query($id: ID!) { charger(id: $id) { security { hasPassword } } }', token, { id: charger.id });
    expect(JSON.stringify(again.body)).not.toContain(credential.password);
  });

  it('choosing security at registration, rotating and changing it need charger:write', async () => {
    const { stationId, tenantId } = await setup();
    const plain = await h.token(tenantId); // station:read + station:write only
    const r = await h.gql(CREATE, plain, { input: ocpp(stationId, { security: { securityProfile: 0 } }) });
    expect(r.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const c = await h.gql(CREATE, plain, { input: ocpp(stationId) });
    expect(c.body.data.createCharger.credential.password).toBeTruthy();
    const id = c.body.data.createCharger.charger.id;
    for (const [q, v] of [
      [ROTATE, { id }],
      [UPDATE, { id, input: { securityProfile: 2 } }],
      [POLICY, { i: { allowProfile0Commissioning: true } }],
    ] as const) {
      expect((await h.gql(q, plain, v)).body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    }
    expect((await h.gql(LOG, plain)).body.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it('rotates (generates or sets) an OCPP password, audited without it; refuses bad passwords and YKC piles', async () => {
    const { token, stationId } = await setup();
    const id = (await h.gql(CREATE, token, { input: ocpp(stationId) })).body.data.createCharger.charger.id;
    const gen = await h.gql(ROTATE, token, { id });
    expect(gen.body.data.rotateChargerCredential).toEqual({ credential: { chargerId: id, password: expect.any(String), securityProfile: 1 }, userErrors: [] });
    const set = await h.gql(ROTATE, token, { id, pw: 'my-own-password-of-24ch' });
    expect(set.body.data.rotateChargerCredential.credential.password).toBe('my-own-password-of-24ch');
    expect((await h.gql(ROTATE, token, { id, pw: 'short' })).body.data.rotateChargerCredential.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID', field: 'password' }),
    ]);
    const pileId = (await h.gql(CREATE, token, { input: ykc(stationId) })).body.data.createCharger.charger.id;
    expect((await h.gql(ROTATE, token, { id: pileId })).body.data.rotateChargerCredential.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID', field: 'chargerId' }),
    ]);
    const log = ((await h.gql(LOG, token)).body.data.assetAuditLog as { action: string; target: string; requestId: string | null }[]).filter(
      (e) => e.target === `charger:${id}`,
    );
    expect(log.map((e) => e.action)).toEqual(['CHARGER_CREDENTIAL_SET', 'CHARGER_CREDENTIAL_GENERATED', 'CHARGER_REGISTERED']);
    expect(log[0].requestId).toEqual(expect.any(String));
    expect(JSON.stringify(log)).not.toContain('my-own-password-of-24ch');
  });

  it('revokes a credential: no password verifies, the registration says revoked, audited with the reason, announced to the bridges; rotating gives it a new one', async () => {
    const { token, stationId, tenantId } = await setup();
    const created = (await h.gql(CREATE, token, { input: ocpp(stationId) })).body.data.createCharger;
    const { id, code } = created.charger;
    const password = created.credential.password as string;
    // what the bridge resolves a connecting charger to (the one cross-tenant read, as the app role)
    const registration = async () =>
      (
        await h.knex.raw<{ rows: { password_hash: string | null; credential_revoked_at: Date | null }[] }>(
          'select * from assets.resolve_charger_registration(?)',
          [code],
        )
      ).rows[0];
    const before = await registration();
    await expect(verifyChargerPassword(Buffer.from(password), before.password_hash!)).resolves.toBe(true);
    expect(before.credential_revoked_at).toBeNull();

    const r = await h.gql(REVOKE, token, { id, reason: '  password printed on a leaked invoice  ' });
    expect(r.body.data.revokeChargerCredential).toEqual({
      security: { chargerId: id, hasPassword: false, passwordSetAt: null, credentialRevokedAt: expect.any(String) },
      userErrors: [],
    });
    const after = await registration();
    expect(after.password_hash).toBeNull(); // nothing left for any password to verify against
    expect(after.credential_revoked_at).toBeInstanceOf(Date);
    const graphRegistration = await h.gql('query($id: ID!) { charger(id: $id) { security { hasPassword credentialRevokedAt } } }', token, { id });
    expect(graphRegistration.body.data.charger.security).toEqual({
      hasPassword: false,
      credentialRevokedAt: r.body.data.revokeChargerCredential.security.credentialRevokedAt,
    });

    const log = (await h.gql(LOG, token)).body.data.assetAuditLog;
    expect(log[0]).toMatchObject({
      action: 'CHARGER_CREDENTIAL_REVOKED',
      target: `charger:${id}`,
      before: { hasPassword: true, credentialRevokedAt: null },
      after: { hasPassword: false, reason: 'password printed on a leaked invoice' },
      requestId: expect.any(String),
    });
    expect(JSON.stringify(log)).not.toContain(password);

    // the bridges hear of it: a charger.changed snapshot saying so, in the revocation's transaction
    const announced = await withTenant(h.knex, tenantId, async (trx) =>
      (await trx('assets.outbox').where({ tenant_id: tenantId }).orderBy('seq')).map((row: { payload: unknown }) =>
        decodeAssetEvent(JSON.stringify(row.payload)),
      ),
    );
    expect(announced.at(-1)).toMatchObject({ type: 'charger.changed', data: { chargerId: id, code, credentialRevoked: true } });

    // twice is a user error; so are a blank reason and a charger that is not there
    expect((await h.gql(REVOKE, token, { id, reason: 'again' })).body.data.revokeChargerCredential).toEqual({
      security: null,
      userErrors: [{ code: 'ALREADY_REVOKED', field: 'chargerId', message: expect.any(String) }],
    });
    expect((await h.gql(REVOKE, token, { id, reason: '   ' })).body.data.revokeChargerCredential.userErrors).toEqual([
      expect.objectContaining({ code: 'REQUIRED', field: 'reason' }),
    ]);
    expect((await h.gql(REVOKE, token, { id, reason: 'x'.repeat(501) })).body.data.revokeChargerCredential.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID', field: 'reason' }),
    ]);
    for (const missing of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid'])
      expect((await h.gql(REVOKE, token, { id: missing, reason: 'stolen' })).body.data.revokeChargerCredential.userErrors).toEqual([
        expect.objectContaining({ code: 'NOT_FOUND', field: 'chargerId' }),
      ]);
    const pileId = (await h.gql(CREATE, token, { input: ykc(stationId) })).body.data.createCharger.charger.id;
    expect((await h.gql(REVOKE, token, { id: pileId, reason: 'stolen' })).body.data.revokeChargerCredential.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID', field: 'chargerId' }),
    ]);

    // a new credential ends the revocation; the old password still does not verify
    const rotated = (await h.gql(ROTATE, token, { id })).body.data.rotateChargerCredential.credential.password as string;
    const again = await registration();
    expect(again.credential_revoked_at).toBeNull();
    await expect(verifyChargerPassword(Buffer.from(rotated), again.password_hash!)).resolves.toBe(true);
    await expect(verifyChargerPassword(Buffer.from(password), again.password_hash!)).resolves.toBe(false);
    expect(
      (await h.gql('query($id: ID!) { charger(id: $id) { security { hasPassword credentialRevokedAt } } }', token, { id })).body.data.charger.security,
    ).toEqual({
      hasPassword: true,
      credentialRevokedAt: null,
    });
  });

  it('revoking needs charger:write, and another tenant (or a station manager of other stations) cannot revoke', async () => {
    const a = await setup();
    const b = await setup();
    const id = (await h.gql(CREATE, a.token, { input: ocpp(a.stationId) })).body.data.createCharger.charger.id;
    const plain = await h.token(a.tenantId); // station:read + station:write only
    expect((await h.gql(REVOKE, plain, { id, reason: 'stolen' })).body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect((await h.gql(REVOKE, b.token, { id, reason: 'stolen' })).body.data.revokeChargerCredential.userErrors).toEqual([
      expect.objectContaining({ code: 'NOT_FOUND' }),
    ]);
    const other = await h.gql('mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } } }', a.token, {
      i: { code: `S-${Math.random().toString(36).slice(2, 8)}`, name: 'Other' },
    });
    const elsewhere = await h.token(a.tenantId, { ...WRITER, dataScope: 'ASSIGNED_STATIONS', stationIds: [other.body.data.createStation.station.id] });
    expect((await h.gql(REVOKE, elsewhere, { id, reason: 'stolen' })).body.data.revokeChargerCredential.userErrors).toEqual([
      expect.objectContaining({ code: 'NOT_FOUND' }),
    ]);
    // RLS on its own: in tenant B's transaction, A's security row is not there to change
    const touched = await withTenant(h.knex, b.tenantId, (trx) => trx('charger_security').where({ charger_id: id }).update({ password_hash: null }));
    expect(touched).toBe(0);
    const security = await h.gql('query($id: ID!) { charger(id: $id) { security { hasPassword credentialRevokedAt } } }', a.token, { id });
    expect(security.body.data.charger.security).toEqual({ hasPassword: true, credentialRevokedAt: null });
  });

  it('records and validates the security profile, networks and key reference', async () => {
    const { token, stationId } = await setup();
    const id = (await h.gql(CREATE, token, { input: ocpp(stationId) })).body.data.createCharger.charger.id;
    const ok = await h.gql(UPDATE, token, { id, input: { securityProfile: 2, allowedSourceCidrs: ['10.8.0.0/16', '2001:db8::/32', '192.0.2.7'] } });
    expect(ok.body.data.updateChargerSecurity).toEqual({
      security: { securityProfile: 2, allowedSourceCidrs: ['10.8.0.0/16', '2001:db8::/32', '192.0.2.7/32'], desKeyRef: null },
      userErrors: [],
    });
    const bad = await h.gql(UPDATE, token, { id, input: { securityProfile: 3, allowedSourceCidrs: ['10.8.0.0/33', 'nope'], desKeyRef: 'k1' } });
    expect(bad.body.data.updateChargerSecurity.userErrors.map((e: { field: string }) => e.field).sort()).toEqual([
      'allowedSourceCidrs.0',
      'allowedSourceCidrs.1',
    ]);
    expect((await h.gql(UPDATE, token, { id, input: { securityProfile: 3 } })).body.data.updateChargerSecurity.userErrors).toEqual([
      expect.objectContaining({ field: 'securityProfile' }),
    ]);
    expect((await h.gql(UPDATE, token, { id, input: { desKeyRef: 'k1' } })).body.data.updateChargerSecurity.userErrors).toEqual([
      expect.objectContaining({ field: 'desKeyRef' }),
    ]);
    const log = (await h.gql(LOG, token)).body.data.assetAuditLog;
    expect(log[0]).toMatchObject({ action: 'CHARGER_SECURITY_CHANGED', before: { securityProfile: 1, allowedSourceCidrs: [] }, after: { securityProfile: 2 } });
  });

  it("registers, resets (re-commissioning) and validates a YKC pile's identity", async () => {
    const { token, stationId } = await setup();
    const created = await h.gql(CREATE, token, { input: ykc(stationId, { security: { ykcIdentity: { ...IDENTITY, sim: '8986001234' } } }) });
    expect(created.body.data.createCharger.credential).toBeNull();
    // the login carries 10 BCD bytes: the ICCID is kept as the 20 digits it reads as
    expect(created.body.data.createCharger.charger.security.ykcIdentity).toEqual({ sim: '00000000008986001234' });
    const id = created.body.data.createCharger.charger.id;
    const reg = await h.gql(REGISTER_YKC, token, { id, i: IDENTITY });
    expect(reg.body.data.registerYkcPileIdentity).toEqual({ security: { ykcIdentity: IDENTITY, ykcIdentitySource: 'REGISTERED' }, userErrors: [] });
    expect(
      (await h.gql(REGISTER_YKC, token, { id, i: { ...IDENTITY, sim: 'x', guns: 300 } })).body.data.registerYkcPileIdentity.userErrors
        .map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['identity.guns', 'identity.sim']);
    expect((await h.gql(RESET_YKC, token, { id })).body.data.resetYkcPileIdentity).toEqual({
      security: { ykcIdentity: null, ykcIdentitySource: null },
      userErrors: [],
    });
    const log = (await h.gql(LOG, token)).body.data.assetAuditLog;
    expect(log.slice(0, 2).map((e: { action: string }) => e.action)).toEqual(['YKC_IDENTITY_RESET', 'YKC_IDENTITY_REGISTERED']);
    const ocppId = (await h.gql(CREATE, token, { input: ocpp(stationId) })).body.data.createCharger.charger.id;
    expect((await h.gql(REGISTER_YKC, token, { id: ocppId, i: IDENTITY })).body.data.registerYkcPileIdentity.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID' }),
    ]);
  });

  it("the tenant policy is visible, changed with charger:write (not by a station-scoped identity), audited; other tenants' chargers are not found", async () => {
    const a = await setup();
    const b = await setup();
    expect(
      (await h.gql('{ chargerSecurityPolicy { allowProfile0Commissioning learnYkcIdentityOnFirstLogin allowedSourceCidrs } }', a.token)).body.data
        .chargerSecurityPolicy,
    ).toEqual({
      allowProfile0Commissioning: false,
      learnYkcIdentityOnFirstLogin: false,
      allowedSourceCidrs: [],
    });
    const set = await h.gql(POLICY, a.token, { i: { allowProfile0Commissioning: true, allowedSourceCidrs: ['10.0.0.0/8'] } });
    expect(set.body.data.setChargerSecurityPolicy.policy).toEqual({
      allowProfile0Commissioning: true,
      learnYkcIdentityOnFirstLogin: false,
      allowedSourceCidrs: ['10.0.0.0/8'],
    });
    expect((await h.gql(LOG, a.token)).body.data.assetAuditLog[0]).toMatchObject({
      action: 'CHARGER_SECURITY_POLICY_CHANGED',
      before: { allowProfile0Commissioning: false },
      after: { allowProfile0Commissioning: true },
    });
    expect((await h.gql('{ chargerSecurityPolicy { allowProfile0Commissioning } }', b.token)).body.data.chargerSecurityPolicy.allowProfile0Commissioning).toBe(
      false,
    );
    const manager = await h.token(a.tenantId, { ...WRITER, dataScope: 'ASSIGNED_STATIONS', stationIds: [a.stationId] });
    expect((await h.gql(POLICY, manager, { i: { allowProfile0Commissioning: false } })).body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const id = (await h.gql(CREATE, a.token, { input: ocpp(a.stationId) })).body.data.createCharger.charger.id;
    expect((await h.gql(ROTATE, b.token, { id })).body.data.rotateChargerCredential.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    // the station manager of another station of A cannot touch it either
    const other = await h.gql('mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } } }', a.token, {
      i: { code: `S-${Math.random().toString(36).slice(2, 8)}`, name: 'Other' },
    });
    const elsewhere = await h.token(a.tenantId, { ...WRITER, dataScope: 'ASSIGNED_STATIONS', stationIds: [other.body.data.createStation.station.id] });
    expect((await h.gql(ROTATE, elsewhere, { id })).body.data.rotateChargerCredential.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    expect((await h.gql(ROTATE, manager, { id })).body.data.rotateChargerCredential.userErrors).toEqual([]);
  });

  it("a page of chargers shows each one's security (one batched read), a station manager only its stations'", async () => {
    const { token, stationId, tenantId } = await setup();
    await h.gql(CREATE, token, { input: ocpp(stationId) });
    await h.gql(CREATE, token, { input: ykc(stationId, { security: { ykcIdentity: IDENTITY } }) });
    const page = await h.gql('{ chargers(first: 10) { edges { node { protocol security { securityProfile hasPassword ykcIdentity { sim } } } } } }', token);
    expect(page.body.data.chargers.edges.map((e: { node: unknown }) => e.node).sort((a: any, b: any) => a.protocol.localeCompare(b.protocol))).toEqual([
      { protocol: 'OCPP16', security: { securityProfile: 1, hasPassword: true, ykcIdentity: null } },
      { protocol: 'YKC', security: { securityProfile: null, hasPassword: false, ykcIdentity: { sim: IDENTITY.sim } } },
    ]);
    const outsider = await h.token(tenantId, { dataScope: 'ASSIGNED_STATIONS', stationIds: [] });
    expect((await h.gql('{ chargers(first: 10) { edges { node { security { hasPassword } } } } }', outsider)).body.data.chargers.edges).toEqual([]);
  });

  it('the audit log is append-only for the application', async () => {
    const { tenantId, token, stationId } = await setup();
    await h.gql(CREATE, token, { input: ocpp(stationId) });
    await expect(withTenant(h.knex, tenantId, (trx) => trx('audit_log').where({ tenant_id: tenantId }).update({ action: 'FORGED' }))).rejects.toThrow(
      /permission denied|append-only/,
    );
    await expect(withTenant(h.knex, tenantId, (trx) => trx('audit_log').where({ tenant_id: tenantId }).delete())).rejects.toThrow(
      /permission denied|append-only/,
    );
  });
});
