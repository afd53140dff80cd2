import { AssetEvent, decodeAssetEvent } from '@evcs/events';
import { withTenant } from '@evcs/platform';
import { ERRORS, Harness, startHarness } from './harness';

/**
 * Charger registrations leave assets as asset events, through the outbox, in the transaction of
 * the change: what orders' projection of chargers is built from.
 */
const CREATE_STATION = `mutation($input: CreateStationInput!) { createStation(input: $input) { station { id } ${ERRORS} } }`;
const UPDATE_STATION = `mutation($id: ID!, $input: UpdateStationInput!) { updateStation(id: $id, input: $input) { station { id } ${ERRORS} } }`;
const CREATE_CHARGER = `mutation($input: CreateChargerInput!) { createCharger(input: $input) { charger { id code connectors { id connectorNo } } ${ERRORS} } }`;
const UPDATE_CHARGER = `mutation($id: ID!, $input: UpdateChargerInput!) { updateCharger(id: $id, input: $input) { charger { id } ${ERRORS} } }`;
const RETIRE_CHARGER = `mutation($id: ID!) { retireCharger(id: $id) { charger { id } ${ERRORS} } }`;
const CREATE_CONNECTOR = `mutation($c: ID!, $input: ConnectorInput!) { createConnector(chargerId: $c, input: $input) { connector { id } ${ERRORS} } }`;
const RETIRE_CONNECTOR = `mutation($id: ID!) { retireConnector(id: $id) { connector { id } ${ERRORS} } }`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const suffix = () => Math.random().toString(36).slice(2, 10);

async function ok(tenantId: string, query: string, variables: Record<string, unknown>) {
  const r = await h.gql(query, await h.token(tenantId, { permissions: ['station:read', 'station:write', 'charger:write'] }), variables);
  expect(r.body.errors).toBeUndefined();
  const payload = Object.values(r.body.data as Record<string, { userErrors: unknown[] }>)[0];
  expect(payload.userErrors).toEqual([]);
  return payload as any;
}

/** The tenant's asset events in the outbox, in the order they were written. */
async function events(tenantId: string): Promise<AssetEvent[]> {
  return withTenant(h.knex, tenantId, async (trx) => {
    const rows: { payload: unknown; key: string; topic: string }[] = await trx('assets.outbox').where({ tenant_id: tenantId }).orderBy('seq');
    return rows.map((r) => {
      expect(r.topic).toBe('evcs.asset-events.v1');
      const e = decodeAssetEvent(JSON.stringify(r.payload));
      expect(r.key).toBe(e.data.chargerId); // keyed by charger: its changes stay in order
      return e;
    });
  });
}

describe('asset events: charger registrations through the outbox', () => {
  it('publishes registered, changed (connectors, a move, the station time zone) and retired snapshots, revisions growing', async () => {
    const t = h.tenant();
    const st = (await ok(t, CREATE_STATION, { input: { code: `ST-${suffix()}`, name: 'Depot', timezone: 'Asia/Shanghai' } })).station.id as string;
    const other = (await ok(t, CREATE_STATION, { input: { code: `ST-${suffix()}`, name: 'Other', timezone: 'Asia/Urumqi' } })).station.id as string;
    const code = `CP-${suffix()}`;
    const created = await ok(t, CREATE_CHARGER, {
      input: { stationId: st, code, protocol: 'OCPP16', currentType: 'DC', ratedPowerKw: '60', connectors: [{ connectorNo: 1, plugType: 'GBT_DC' }] },
    });
    const id = created.charger.id as string;
    await ok(t, CREATE_CONNECTOR, { c: id, input: { connectorNo: 2, plugType: 'GBT_DC' } });
    const first = created.charger.connectors[0].id as string;
    await ok(t, RETIRE_CONNECTOR, { id: first });
    await ok(t, UPDATE_CHARGER, { id, input: { stationId: other } });
    await ok(t, UPDATE_STATION, { id: other, input: { timezone: 'Asia/Shanghai' } });
    await ok(t, UPDATE_STATION, { id: other, input: { name: 'Renamed' } }); // not a change of its chargers
    await ok(t, RETIRE_CHARGER, { id });

    const got = await events(t);
    expect(got.map((e) => [e.type, e.data.stationId === st ? 'st' : 'other', e.data.timezone, e.data.connectorNos])).toEqual([
      ['charger.registered', 'st', 'Asia/Shanghai', [1]],
      ['charger.changed', 'st', 'Asia/Shanghai', [1, 2]],
      ['charger.changed', 'st', 'Asia/Shanghai', [2]],
      ['charger.changed', 'other', 'Asia/Urumqi', [2]],
      ['charger.changed', 'other', 'Asia/Shanghai', [2]],
      ['charger.retired', 'other', 'Asia/Shanghai', []],
    ]);
    expect(got.every((e) => e.tenantId === t && e.data.chargerId === id && e.data.code === code && e.data.protocol === 'OCPP16')).toBe(true);
    const revisions = got.map((e) => e.data.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    expect(new Set(revisions).size).toBe(revisions.length);
  });

  it('publishes nothing for a refused change, and only into the tenant that made it', async () => {
    const t = h.tenant();
    const other = h.tenant();
    const st = (await ok(t, CREATE_STATION, { input: { code: `ST-${suffix()}`, name: 'Depot' } })).station.id as string;
    const code = `CP-${suffix()}`;
    await ok(t, CREATE_CHARGER, { input: { stationId: st, code, protocol: 'OCPP16', currentType: 'DC', ratedPowerKw: '60' } });
    // the same code again: refused (DUPLICATE), rolled back with its event
    const r = await h.gql(CREATE_CHARGER, await h.token(t), { input: { stationId: st, code, protocol: 'OCPP16', currentType: 'DC', ratedPowerKw: '60' } });
    expect(r.body.data.createCharger.userErrors[0].code).toBe('DUPLICATE');
    expect((await events(t)).map((e) => e.type)).toEqual(['charger.registered']);
    expect(await events(other)).toEqual([]);
  });
});
