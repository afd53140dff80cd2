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
const CREATE_CONNECTOR = `mutation($chargerId: ID!, $input: ConnectorInput!) { createConnector(chargerId: $chargerId, input: $input) { connector { id } ${E} } }`;
const UPDATE_CONNECTOR = `mutation($id: ID!, $input: UpdateConnectorInput!) { updateConnector(id: $id, input: $input) { connector { id } ${E} } }`;
const RETIRE_CONNECTOR = `mutation($id: ID!) { retireConnector(id: $id) { connector { id } ${E} } }`;
const CONNECTORS = `query($id: ID!) { charger(id: $id) { connectors { connectorNo maxPowerKw } } }`;

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
    // a retirement's before is the record as it was, not as the patch left it
    for (const action of ['STATION_RETIRED', 'CHARGER_RETIRED']) {
      const e = entries.find((x: { action: string }) => x.action === action);
      expect(e.before.retired_at).toBeNull();
      expect(e.after.retired_at).not.toBeNull();
    }
    // the security record of the new charger never holds its password or hash
    const registered = entries.find((e: { action: string }) => e.action === 'CHARGER_REGISTERED');
    expect(registered.after).toMatchObject({ hasPassword: true });
    expect(JSON.stringify(registered.after)).not.toMatch(/hash|\$argon|\$scrypt/i);
    const filtered = await h.gql(LOG, auditor, { filter: { targetType: 'charger', targetId: chargerId, action: 'CHARGER_UPDATED' } });
    expect(filtered.body.data.assetAuditEntries.edges.map((e: { node: { after: { vendor: string } } }) => e.node.after.vendor)).toEqual(['Acme']);
  });

  it("pages like every other service's audit log: first/after towards older, last/before back, narrowed by actor and time", async () => {
    const tenant = h.tenant();
    const admin = await h.token(tenant, { subject: 'pager-1', permissions: ['station:read', 'station:write'] });
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push((await ok(CREATE_STATION, admin, { input: { code: `AUD-P${n}`, name: `Paged ${n}` } })).station.id);
    const auditor = await h.token(tenant, { permissions: ['audit:read'] });
    const PAGE = `query($filter: AuditFilter, $first: Int, $after: String, $last: Int, $before: String) {
      assetAuditEntries(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
        edges { node { targetId } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    const page = async (variables: Record<string, unknown>) => {
      const r = await h.gql(PAGE, auditor, variables);
      expect(r.body.errors).toBeUndefined();
      const c = r.body.data.assetAuditEntries;
      return { ids: c.edges.map((e: { node: { targetId: string } }) => e.node.targetId), info: c.pageInfo };
    };
    const newest = [...ids].reverse();
    const first = await page({ first: 2 });
    expect(first.ids).toEqual(newest.slice(0, 2));
    expect(first.info.hasNextPage).toBe(true);
    const second = await page({ first: 2, after: first.info.endCursor });
    expect(second.ids).toEqual(newest.slice(2, 4));
    const back = await page({ last: 2, before: second.info.startCursor });
    expect(back.ids).toEqual(newest.slice(0, 2));
    expect((await page({ last: 2 })).ids).toEqual(newest.slice(3));
    expect((await page({ filter: { actorId: 'pager-1', from: new Date(Date.now() - 60_000).toISOString() } })).ids).toEqual(newest);
    expect((await page({ filter: { actorId: 'somebody-else' } })).ids).toEqual([]);
    expect((await page({ filter: { to: new Date(Date.now() - 3_600_000).toISOString() } })).ids).toEqual([]);
  });

  it('records connectors added, changed and retired through the API, and the ones registered and retired with their charger', async () => {
    const tenant = h.tenant();
    const admin = await h.token(tenant, { subject: 'admin-c', permissions: ['station:read', 'station:write', 'charger:write'] });
    const stationId = (await ok(CREATE_STATION, admin, { input: { code: 'AUD-C', name: 'Connectors' } })).station.id;
    const chargerId = (
      await ok(CREATE_CHARGER, admin, {
        input: { stationId, code: 'AUD-CP-C', protocol: 'OCPP16', currentType: 'AC', ratedPowerKw: '7', connectors: [{ connectorNo: 1, plugType: 'GBT_AC' }] },
      })
    ).charger.id;
    const connectorId = (await ok(CREATE_CONNECTOR, admin, { chargerId, input: { connectorNo: 2, plugType: 'TYPE2', maxPowerKw: '7' } })).connector.id;
    await ok(UPDATE_CONNECTOR, admin, { id: connectorId, input: { maxPowerKw: '3.7' } });
    await ok(RETIRE_CONNECTOR, admin, { id: connectorId });
    await ok(RETIRE_CHARGER, admin, { id: chargerId });

    const r = await h.gql(LOG, await h.token(tenant, { permissions: ['audit:read'] }), { first: 50 });
    expect(r.body.errors).toBeUndefined();
    const entries = r.body.data.assetAuditEntries.edges.map((e: { node: Record<string, any> }) => e.node);
    expect(entries.map((e: { action: string; targetType: string }) => `${e.action} ${e.targetType}`)).toEqual([
      'CHARGER_RETIRED charger',
      'CONNECTOR_RETIRED connector',
      'CONNECTOR_UPDATED connector',
      'CONNECTOR_CREATED connector',
      'CHARGER_REGISTERED charger',
      'STATION_CREATED station',
    ]);
    for (const e of entries) expect(e).toMatchObject({ actorType: 'USER', actorId: 'admin-c' });
    const [chargerRetired, retired, updated, created, registered] = entries;
    expect(created).toMatchObject({
      targetId: connectorId,
      before: null,
      after: { id: connectorId, charger_id: chargerId, connector_no: 2, plug_type: 'TYPE2' },
    });
    expect(updated).toMatchObject({ targetId: connectorId, before: { max_power_kw: '7.00', version: 1 }, after: { max_power_kw: '3.70', version: 2 } });
    expect(retired).toMatchObject({ targetId: connectorId, before: { retired_at: null }, after: { connector_no: 2 } });
    expect(retired.after.retired_at).not.toBeNull();
    expect(registered.after.connectors).toEqual([{ id: expect.any(String), connectorNo: 1, plugType: 'GBT_AC', maxPowerKw: null }]);
    // connector 1 went with the charger (2 was retired before it)
    expect(chargerRetired.details).toEqual({ connectorsRetired: [{ id: registered.after.connectors[0].id, connectorNo: 1 }] });
  });

  it('a connector is added or changed only with its audit entry', async () => {
    const doomed = h.tenant();
    const admin = await h.token(doomed);
    const stationId = (await ok(CREATE_STATION, admin, { input: { code: 'AUD-CX', name: 'Doomed' } })).station.id;
    const chargerId = (
      await ok(CREATE_CHARGER, admin, {
        input: { stationId, code: 'AUD-CP-CX', protocol: 'OCPP16', currentType: 'AC', ratedPowerKw: '7', connectors: [{ connectorNo: 1, maxPowerKw: '7' }] },
      })
    ).charger.id;
    const connectorId = (await h.gql(`query($id: ID!) { charger(id: $id) { connectors { id } } }`, admin, { id: chargerId })).body.data.charger.connectors[0]
      .id;
    await failInsertsFor(h.db, 'assets.audit_entries', doomed);
    for (const [query, variables] of [
      [CREATE_CONNECTOR, { chargerId, input: { connectorNo: 2 } }],
      [UPDATE_CONNECTOR, { id: connectorId, input: { maxPowerKw: '3.7' } }],
      [RETIRE_CONNECTOR, { id: connectorId }],
    ] as const) {
      const r = await h.gql(query, admin, variables);
      expect(r.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    }
    expect((await h.gql(CONNECTORS, admin, { id: chargerId })).body.data.charger.connectors).toEqual([{ connectorNo: 1, maxPowerKw: '7.00' }]);
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
