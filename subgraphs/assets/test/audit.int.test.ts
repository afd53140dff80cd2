import { auditLogQuery, failInsertsFor } from '@evcs/testkit';
import { Harness, startHarness } from './harness';

const LOG = auditLogQuery('assetAuditEntries');
const E = 'userErrors { code field message }';
const CREATE_STATION = `mutation($input: CreateStationInput!) { createStation(input: $input) { station { id } ${E} } }`;
const UPDATE_STATION = `mutation($id: ID!, $input: UpdateStationInput!) { updateStation(id: $id, input: $input) { station { id name } ${E} } }`;
const RETIRE_STATION = `mutation($id: ID!) { retireStation(id: $id) { station { id } ${E} } }`;
const CREATE_CHARGER = `mutation($input: CreateChargerInput!) { createCharger(input: $input) { charger { id } ${E} } }`;
const UPDATE_CHARGER = `mutation($id: ID!, $input: UpdateChargerInput!) { updateCharger(id: $id, input: $input) { charger { id vendor } ${E} } }`;
const RETIRE_CHARGER = `mutation($id: ID!) { retireCharger(id: $id) { charger { id } ${E} } }`;
const STATIONS = `{ stations(first: 10) { edges { node { id } } } }`;

/** Station and charger changes and their audit entries: one transaction; the log behind audit:read. */
describe('assets audit trail (real Postgres, real HTTP)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const ok = async (query: string, token: string, variables: Record<string, unknown>) => {
    const r = await h.gql(query, token, variables);
    expect(r.body.errors).toBeUndefined();
    const payload = Object.values(r.body.data)[0] as { userErrors: unknown[] } & Record<string, { id: string }>;
    expect(payload.userErrors).toEqual([]);
    return payload;
  };

  it('records station and charger creation (CHARGER_REGISTERED, with its security), changes and retirement, with who', async () => {
    const tenant = h.tenant();
    const admin = await h.token(tenant, { subject: 'admin-7', permissions: ['station:read', 'station:write', 'charger:write'] });
    const stationId = (await ok(CREATE_STATION, admin, { input: { code: 'AUD-1', name: 'Audited' } })).station.id;
    await ok(UPDATE_STATION, admin, { id: stationId, input: { name: 'Audited, renamed' } });
    const chargerId = (await ok(CREATE_CHARGER, admin, { input: { stationId, code: 'AUD-CP-1', protocol: 'OCPP16', currentType: 'AC', ratedPowerKw: '7' } }))
      .charger.id;
    await ok(UPDATE_CHARGER, admin, { id: chargerId, input: { vendor: 'Acme' } });
    await ok(RETIRE_CHARGER, admin, { id: chargerId });
    await ok(RETIRE_STATION, admin, { id: stationId });

    const auditor = await h.token(tenant, { permissions: ['audit:read'] });
    const r = await h.gql(LOG, auditor, { first: 50 });
    expect(r.body.errors).toBeUndefined();
    const entries = r.body.data.assetAuditEntries.edges.map((e: { node: Record<string, any> }) => e.node);
    expect(entries.map((e: { action: string; targetType: string }) => `${e.action} ${e.targetType}`)).toEqual([
      'STATION_RETIRED station',
      'CHARGER_RETIRED charger',
      'CHARGER_UPDATED charger',
      'CHARGER_REGISTERED charger',
      'STATION_UPDATED station',
      'STATION_CREATED station',
    ]);
    for (const e of entries) expect(e).toMatchObject({ actorType: 'USER', actorId: 'admin-7' });
    const renamed = entries.find((e: { action: string }) => e.action === 'STATION_UPDATED');
    expect(renamed).toMatchObject({ targetId: stationId, before: { name: 'Audited' }, after: { name: 'Audited, renamed' } });
    // the security record of the new charger never holds its password or hash
    const registered = entries.find((e: { action: string }) => e.action === 'CHARGER_REGISTERED');
    expect(registered.after).toMatchObject({ hasPassword: true });
    expect(JSON.stringify(registered.after)).not.toMatch(/hash|\$argon|\$scrypt/i);
    const filtered = await h.gql(LOG, auditor, { filter: { targetType: 'charger', targetId: chargerId, action: 'CHARGER_UPDATED' } });
    expect(filtered.body.data.assetAuditEntries.edges.map((e: { node: { after: { vendor: string } } }) => e.node.after.vendor)).toEqual(['Acme']);
  });

  it('needs audit:read, and another tenant sees nothing', async () => {
    const tenant = h.tenant();
    const r = await h.gql(LOG, await h.token(tenant), {});
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const other = await h.gql(LOG, await h.token(h.tenant(), { permissions: ['audit:read'] }), {});
    expect(other.body.data.assetAuditEntries.edges).toEqual([]);
  });

  it('a station is created only with its audit entry', async () => {
    const doomed = h.tenant();
    await failInsertsFor(h.db, 'assets.audit_entries', doomed);
    const admin = await h.token(doomed);
    const r = await h.gql(CREATE_STATION, admin, { input: { code: 'AUD-X', name: 'Never' } });
    expect(r.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect((await h.gql(STATIONS, admin)).body.data.stations.edges).toEqual([]);
  });
});
