import { withTenant } from '@evcs/platform';
import { seedDemoAssets } from '../src';
import { CHARGER_FIELDS, ERRORS, Harness, startHarness, STATION_FIELDS } from './harness';

const CREATE_STATION = `mutation($input: CreateStationInput!) { createStation(input: $input) { station { ${STATION_FIELDS} } ${ERRORS} } }`;
const UPDATE_STATION = `mutation($id: ID!, $input: UpdateStationInput!, $v: Int) { updateStation(id: $id, input: $input, expectedVersion: $v) { station { ${STATION_FIELDS} } ${ERRORS} } }`;
const RETIRE_STATION = `mutation($id: ID!) { retireStation(id: $id) { station { ${STATION_FIELDS} } ${ERRORS} } }`;
const CREATE_CHARGER = `mutation($input: CreateChargerInput!) { createCharger(input: $input) { charger { ${CHARGER_FIELDS} connectors { id connectorNo plugType maxPowerKw status } } ${ERRORS} } }`;
const UPDATE_CHARGER = `mutation($id: ID!, $input: UpdateChargerInput!, $v: Int) { updateCharger(id: $id, input: $input, expectedVersion: $v) { charger { ${CHARGER_FIELDS} } ${ERRORS} } }`;
const RETIRE_CHARGER = `mutation($id: ID!) { retireCharger(id: $id) { charger { ${CHARGER_FIELDS} } ${ERRORS} } }`;
const CREATE_CONNECTOR = `mutation($c: ID!, $input: ConnectorInput!) { createConnector(chargerId: $c, input: $input) { connector { id connectorNo plugType maxPowerKw status version } ${ERRORS} } }`;
const UPDATE_CONNECTOR = `mutation($id: ID!, $input: UpdateConnectorInput!, $v: Int) { updateConnector(id: $id, input: $input, expectedVersion: $v) { connector { id plugType maxPowerKw version } ${ERRORS} } }`;
const RETIRE_CONNECTOR = `mutation($id: ID!) { retireConnector(id: $id) { connector { id retiredAt } ${ERRORS} } }`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const station = (over: Record<string, unknown> = {}) => ({ code: `ST-${Math.random().toString(36).slice(2, 8)}`, name: 'Depot', ...over });
const charger = (stationId: string, over: Record<string, unknown> = {}) => ({
  stationId,
  code: `CP-${Math.random().toString(36).slice(2, 10)}`,
  protocol: 'OCPP16',
  currentType: 'DC',
  ratedPowerKw: '120',
  ...over,
});

async function createStation(tenantId: string, over: Record<string, unknown> = {}) {
  const r = await h.gql(CREATE_STATION, await h.token(tenantId), { input: station(over) });
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.createStation.userErrors).toEqual([]);
  return r.body.data.createStation.station as { id: string; code: string; version: number };
}
async function createCharger(tenantId: string, stationId: string, over: Record<string, unknown> = {}) {
  const r = await h.gql(CREATE_CHARGER, await h.token(tenantId), { input: charger(stationId, over) });
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.createCharger.userErrors).toEqual([]);
  return r.body.data.createCharger.charger as { id: string; code: string; version: number; connectors: { id: string; connectorNo: number }[] };
}

describe('stations: create, update, retire', () => {
  it('creates a station with defaults and exact coordinates', async () => {
    const t = h.tenant();
    const r = await h.gql(CREATE_STATION, await h.token(t), {
      input: station({ code: 'SZ-001', name: ' Shenzhen Bay ', latitude: 22.51724, longitude: 113.94127 }),
    });
    expect(r.body.data.createStation).toEqual({
      station: expect.objectContaining({
        code: 'SZ-001',
        name: 'Shenzhen Bay',
        latitude: 22.51724,
        longitude: 113.94127,
        timezone: 'Asia/Shanghai',
        status: 'OPERATING',
        version: 1,
        retiredAt: null,
      }),
      userErrors: [],
    });
    // stored in the caller's tenant, as numeric
    const row = await withTenant(h.knex, t, (trx) => trx('stations').where({ code: 'SZ-001' }).first());
    expect(row).toMatchObject({ tenant_id: t, latitude: '22.517240', longitude: '113.941270' });
  });

  it('reports every invalid field at once, naming it, and creates nothing', async () => {
    const t = h.tenant();
    const r = await h.gql(CREATE_STATION, await h.token(t), {
      input: { code: 'bad code!', name: '  ', latitude: 91, timezone: 'Mars/Olympus', status: 'CLOSED' },
    });
    expect(r.body.data.createStation.station).toBeNull();
    const errors = r.body.data.createStation.userErrors as { code: string; field: string }[];
    expect(errors.map((e) => [e.field, e.code]).sort()).toEqual(
      [
        ['code', 'INVALID'],
        ['name', 'REQUIRED'],
        ['longitude', 'REQUIRED'],
        ['latitude', 'INVALID'],
        ['timezone', 'INVALID'],
        ['status', 'INVALID'],
      ].sort(),
    );
    const n = await withTenant(h.knex, t, (trx) => trx('stations').count<{ n: string }[]>('* as n'));
    expect(Number(n[0].n)).toBe(0);
  });

  it('station codes are unique per tenant, not across tenants', async () => {
    const a = h.tenant();
    const b = h.tenant();
    await createStation(a, { code: 'DUP-1' });
    const dup = await h.gql(CREATE_STATION, await h.token(a), { input: station({ code: 'DUP-1' }) });
    expect(dup.body.data.createStation.userErrors).toEqual([{ code: 'DUPLICATE', field: 'code', message: expect.any(String) }]);
    await createStation(b, { code: 'DUP-1' });
  });

  it('updates only the given fields, bumps the version, and honours expectedVersion', async () => {
    const t = h.tenant();
    const s = await createStation(t, { address: 'Old Road 1' });
    const tok = await h.token(t);
    const r = await h.gql(UPDATE_STATION, tok, { id: s.id, input: { name: 'Renamed', status: 'MAINTENANCE', timezone: 'Asia/Urumqi' }, v: 1 });
    expect(r.body.data.updateStation.station).toMatchObject({
      name: 'Renamed',
      status: 'MAINTENANCE',
      timezone: 'Asia/Urumqi',
      address: 'Old Road 1',
      version: 2,
    });
    const stale = await h.gql(UPDATE_STATION, tok, { id: s.id, input: { name: 'Lost update' }, v: 1 });
    expect(stale.body.data.updateStation).toEqual({
      station: null,
      userErrors: [expect.objectContaining({ code: 'VERSION_CONFLICT', field: 'expectedVersion' })],
    });
    const cleared = await h.gql(UPDATE_STATION, tok, { id: s.id, input: { address: null } });
    expect(cleared.body.data.updateStation.station).toMatchObject({ name: 'Renamed', address: null, version: 3 });
    const other = await createStation(t, { code: 'TAKEN-CODE' });
    const renamed = await h.gql(UPDATE_STATION, tok, { id: s.id, input: { code: other.code } });
    expect(renamed.body.data.updateStation.userErrors).toEqual([expect.objectContaining({ code: 'DUPLICATE', field: 'code' })]);
    const invalid = await h.gql(UPDATE_STATION, tok, { id: s.id, input: { name: null, latitude: 10 } });
    expect(invalid.body.data.updateStation.userErrors.map((e: { field: string }) => e.field).sort()).toEqual(['longitude', 'name']);
  });

  it("cannot see, update or retire another tenant's station", async () => {
    const a = h.tenant();
    const b = h.tenant();
    const s = await createStation(a);
    const upd = await h.gql(UPDATE_STATION, await h.token(b), { id: s.id, input: { name: 'hijacked' } });
    expect(upd.body.data.updateStation.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'id' })]);
    const ret = await h.gql(RETIRE_STATION, await h.token(b), { id: s.id });
    expect(ret.body.data.retireStation.userErrors[0].code).toBe('NOT_FOUND');
    const read = await h.gql('query($id: ID!) { station(id: $id) { id } }', await h.token(b), { id: s.id });
    expect(read.body.data.station).toBeNull();
    const mine = await h.gql('query($id: ID!) { station(id: $id) { name } }', await h.token(a), { id: s.id });
    expect(mine.body.data.station.name).toBe('Depot');
  });

  it('a parent reading its child tenant still writes only its own tenant', async () => {
    const parent = h.tenant();
    const child = h.tenant();
    const s = await createStation(child);
    const tok = await h.token(parent, { dataScope: 'TENANT_AND_CHILDREN', visibleTenantIds: [parent, child] });
    const read = await h.gql('query($id: ID!) { station(id: $id) { id } }', tok, { id: s.id });
    expect(read.body.data.station).toEqual({ id: s.id });
    const upd = await h.gql(UPDATE_STATION, tok, { id: s.id, input: { name: 'from parent' } });
    expect(upd.body.data.updateStation.userErrors[0].code).toBe('NOT_FOUND');
  });

  it('retiring is refused while active chargers remain, then closes the station for good', async () => {
    const t = h.tenant();
    const s = await createStation(t);
    const c = await createCharger(t, s.id);
    const tok = await h.token(t);
    const refused = await h.gql(RETIRE_STATION, tok, { id: s.id });
    expect(refused.body.data.retireStation).toEqual({ station: null, userErrors: [expect.objectContaining({ code: 'HAS_ACTIVE_CHARGERS', field: 'id' })] });
    expect((await h.gql(RETIRE_CHARGER, tok, { id: c.id })).body.data.retireCharger.userErrors).toEqual([]);
    const retired = await h.gql(RETIRE_STATION, tok, { id: s.id });
    expect(retired.body.data.retireStation.station).toMatchObject({ status: 'CLOSED', retiredAt: expect.any(String) });
    // idempotent, and final
    expect((await h.gql(RETIRE_STATION, tok, { id: s.id })).body.data.retireStation.userErrors).toEqual([]);
    const upd = await h.gql(UPDATE_STATION, tok, { id: s.id, input: { name: 'revived' } });
    expect(upd.body.data.updateStation.userErrors[0].code).toBe('RETIRED');
    const newCharger = await h.gql(CREATE_CHARGER, tok, { input: charger(s.id) });
    expect(newCharger.body.data.createCharger.userErrors).toEqual([expect.objectContaining({ code: 'RETIRED', field: 'stationId' })]);
  });

  it('retiring a station while a charger is created there, concurrently: exactly one wins, never an active charger at a retired station', async () => {
    const t = h.tenant();
    const tok = await h.token(t);
    for (let i = 0; i < 8; i++) {
      const s = await createStation(t);
      const [ret, cre] = await Promise.all([h.gql(RETIRE_STATION, tok, { id: s.id }), h.gql(CREATE_CHARGER, tok, { input: charger(s.id) })]);
      const retired = ret.body.data.retireStation.station !== null;
      const created = cre.body.data.createCharger.charger !== null;
      expect({
        retired,
        created,
        codes: [...ret.body.data.retireStation.userErrors, ...cre.body.data.createCharger.userErrors].map((e: { code: string }) => e.code),
      }).toEqual(retired ? { retired, created: false, codes: ['RETIRED'] } : { retired, created: true, codes: ['HAS_ACTIVE_CHARGERS'] });
    }
    const orphans = await withTenant(h.knex, t, (trx) =>
      trx('chargers as c')
        .join('stations as s', 's.id', 'c.station_id')
        .where('c.registration_state', 'REGISTERED')
        .whereNotNull('s.retired_at')
        .count<{ n: string }[]>('* as n'),
    );
    expect(Number(orphans[0].n)).toBe(0);
  });

  it('needs station:write; reads alone are not enough', async () => {
    const t = h.tenant();
    const r = await h.gql(CREATE_STATION, await h.token(t, { permissions: ['station:read'] }), { input: station() });
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(r.body.data).toBeNull();
  });
});

describe('station managers (ASSIGNED_STATIONS)', () => {
  it('update their assigned stations and manage chargers there, and nothing else', async () => {
    const t = h.tenant();
    const mine = await createStation(t);
    const other = await createStation(t);
    const mgr = await h.token(t, { roles: ['STATION_MANAGER'], dataScope: 'ASSIGNED_STATIONS', stationIds: [mine.id] });
    expect((await h.gql(UPDATE_STATION, mgr, { id: mine.id, input: { name: 'Mine' } })).body.data.updateStation.userErrors).toEqual([]);
    expect((await h.gql(UPDATE_STATION, mgr, { id: other.id, input: { name: 'Not mine' } })).body.data.updateStation.userErrors[0].code).toBe('NOT_FOUND');
    // no station creation or retirement
    expect((await h.gql(CREATE_STATION, mgr, { input: station() })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await h.gql(RETIRE_STATION, mgr, { id: mine.id })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    // chargers only at assigned stations, and no moving them out
    const ok = await h.gql(CREATE_CHARGER, mgr, { input: charger(mine.id) });
    expect(ok.body.data.createCharger.userErrors).toEqual([]);
    const elsewhere = await h.gql(CREATE_CHARGER, mgr, { input: charger(other.id) });
    expect(elsewhere.body.data.createCharger.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'stationId' })]);
    const move = await h.gql(UPDATE_CHARGER, mgr, { id: ok.body.data.createCharger.charger.id, input: { stationId: other.id } });
    expect(move.body.data.updateCharger.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'stationId' })]);
    const foreign = await createCharger(t, other.id);
    const touch = await h.gql(UPDATE_CHARGER, mgr, { id: foreign.id, input: { vendor: 'x' } });
    expect(touch.body.data.updateCharger.userErrors[0].code).toBe('NOT_FOUND');
  });

  it('a SELF scope writes nothing', async () => {
    const t = h.tenant();
    const r = await h.gql(CREATE_STATION, await h.token(t, { dataScope: 'SELF' }), { input: station() });
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('chargers and connectors', () => {
  it('creates a charger with its connectors, exact decimals, REGISTERED and offline', async () => {
    const t = h.tenant();
    const s = await createStation(t);
    const r = await h.gql(CREATE_CHARGER, await h.token(t), {
      input: charger(s.id, {
        code: 'ACME-0001',
        currentType: 'AC',
        ratedPowerKw: '7.4',
        vendor: 'Acme',
        connectors: [
          { connectorNo: 1, plugType: 'GBT_AC', maxPowerKw: '7.4' },
          { connectorNo: 2, plugType: 'TYPE2' },
        ],
      }),
    });
    expect(r.body.data.createCharger.userErrors).toEqual([]);
    expect(r.body.data.createCharger.charger).toMatchObject({
      code: 'ACME-0001',
      currentType: 'AC',
      ratedPowerKw: '7.40',
      registrationState: 'REGISTERED',
      online: false,
      version: 1,
      station: { id: s.id },
      connectors: [
        { connectorNo: 1, plugType: 'GBT_AC', maxPowerKw: '7.40', status: 'Unavailable' },
        { connectorNo: 2, plugType: 'TYPE2', maxPowerKw: null, status: 'Unavailable' },
      ],
    });
  });

  it('validates power, codes per protocol and connector lists, naming nested fields', async () => {
    const t = h.tenant();
    const s = await createStation(t);
    const r = await h.gql(CREATE_CHARGER, await h.token(t), {
      input: charger(s.id, {
        code: 'CP-1',
        protocol: 'YKC',
        ratedPowerKw: '0',
        connectors: [{ connectorNo: 1, maxPowerKw: '1.234' }, { connectorNo: 1 }, { connectorNo: 0 }],
      }),
    });
    expect(r.body.data.createCharger.charger).toBeNull();
    expect(r.body.data.createCharger.userErrors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`).sort()).toEqual(
      [
        'code:INVALID',
        'connectors[0].maxPowerKw:INVALID',
        'connectors[1].connectorNo:DUPLICATE',
        'connectors[2].connectorNo:INVALID',
        'ratedPowerKw:INVALID',
      ].sort(),
    );
    for (const bad of ['1e3', '-5', '12.', '0.00', '1234567', 'NaN']) {
      const e = await h.gql(CREATE_CHARGER, await h.token(t), { input: charger(s.id, { ratedPowerKw: bad }) });
      expect(e.body.data.createCharger.userErrors).toEqual([expect.objectContaining({ field: 'ratedPowerKw', code: 'INVALID' })]);
    }
    const ykc = await h.gql(CREATE_CHARGER, await h.token(t), { input: charger(s.id, { code: '32010600213579', protocol: 'YKC' }) });
    expect(ykc.body.data.createCharger.userErrors).toEqual([]);
    const unknownStation = await h.gql(CREATE_CHARGER, await h.token(t), { input: charger('not-a-uuid') });
    expect(unknownStation.body.data.createCharger.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'stationId' })]);
  });

  it('an active charger code is one charge point identity: duplicate in the tenant and across tenants; free again once retired', async () => {
    const a = h.tenant();
    const b = h.tenant();
    const sa = await createStation(a);
    const sb = await createStation(b);
    const first = await createCharger(a, sa.id, { code: 'WIRE-ID-1' });
    for (const [tenant, st] of [
      [a, sa.id],
      [b, sb.id],
    ] as const) {
      const dup = await h.gql(CREATE_CHARGER, await h.token(tenant), { input: charger(st, { code: 'WIRE-ID-1' }) });
      expect(dup.body.data.createCharger.userErrors).toEqual([{ code: 'DUPLICATE', field: 'code', message: expect.not.stringContaining(a) }]);
    }
    expect((await h.gql(RETIRE_CHARGER, await h.token(a), { id: first.id })).body.data.retireCharger.charger).toMatchObject({
      registrationState: 'RETIRED',
      retiredAt: expect.any(String),
    });
    // hardware moved to operator B: the identity now resolves to B's charger
    const moved = await createCharger(b, sb.id, { code: 'WIRE-ID-1' });
    const reg = await h.knex.raw('select * from assets.resolve_charger_registration(?)', ['WIRE-ID-1']);
    expect(reg.rows).toEqual([expect.objectContaining({ charger_id: moved.id, tenant_id: b, station_id: sb.id, protocol: 'OCPP16', security_profile: 1 })]);
    const byCodeA = await h.gql('{ chargerByCode(code: "WIRE-ID-1") { id } }', await h.token(a));
    expect(byCodeA.body.data.chargerByCode).toBeNull();
  });

  it('updates a charger (move between own stations, power) with version checks; code is not changeable', async () => {
    const t = h.tenant();
    const s1 = await createStation(t);
    const s2 = await createStation(t);
    const c = await createCharger(t, s1.id);
    const tok = await h.token(t);
    const r = await h.gql(UPDATE_CHARGER, tok, { id: c.id, input: { stationId: s2.id, ratedPowerKw: '60.5', firmwareVersion: '2.1' }, v: 1 });
    expect(r.body.data.updateCharger.charger).toMatchObject({ station: { id: s2.id }, ratedPowerKw: '60.50', firmwareVersion: '2.1', version: 2 });
    const conflict = await h.gql(UPDATE_CHARGER, tok, { id: c.id, input: { vendor: 'x' }, v: 1 });
    expect(conflict.body.data.updateCharger.userErrors[0].code).toBe('VERSION_CONFLICT');
    const noCode = await h.gql(UPDATE_CHARGER, tok, { id: c.id, input: { code: 'NEW' } });
    expect(noCode.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const foreign = h.tenant();
    const fs = await createStation(foreign);
    const cross = await h.gql(UPDATE_CHARGER, tok, { id: c.id, input: { stationId: fs.id } });
    expect(cross.body.data.updateCharger.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'stationId' })]);
  });

  it('connectors: create, duplicate number, update, and retire refused while in a session', async () => {
    const t = h.tenant();
    const s = await createStation(t);
    const c = await createCharger(t, s.id, { connectors: [{ connectorNo: 1 }] });
    const tok = await h.token(t);
    const k = await h.gql(CREATE_CONNECTOR, tok, { c: c.id, input: { connectorNo: 2, plugType: 'CCS2', maxPowerKw: '150' } });
    expect(k.body.data.createConnector).toMatchObject({
      connector: { connectorNo: 2, plugType: 'CCS2', maxPowerKw: '150.00', status: 'Unavailable', version: 1 },
      userErrors: [],
    });
    const invalid = await h.gql(CREATE_CONNECTOR, tok, { c: c.id, input: { connectorNo: 0, maxPowerKw: '1.005' } });
    expect(invalid.body.data.createConnector.userErrors.map((e: { field: string }) => e.field).sort()).toEqual(['connectorNo', 'maxPowerKw']);
    const dup = await h.gql(CREATE_CONNECTOR, tok, { c: c.id, input: { connectorNo: 1 } });
    expect(dup.body.data.createConnector.userErrors).toEqual([expect.objectContaining({ code: 'DUPLICATE', field: 'connectorNo' })]);
    const id = k.body.data.createConnector.connector.id as string;
    const upd = await h.gql(UPDATE_CONNECTOR, tok, { id, input: { maxPowerKw: '120' }, v: 1 });
    expect(upd.body.data.updateConnector.connector).toMatchObject({ maxPowerKw: '120.00', version: 2 });
    const bad = await h.gql(UPDATE_CONNECTOR, tok, { id, input: { maxPowerKw: '-1' } });
    expect(bad.body.data.updateConnector.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: 'maxPowerKw' })]);

    await withTenant(h.knex, t, (trx) => trx('connectors').where({ id }).update({ status: 'Charging' }));
    const busy = await h.gql(RETIRE_CONNECTOR, tok, { id });
    expect(busy.body.data.retireConnector.userErrors).toEqual([expect.objectContaining({ code: 'IN_USE' })]);
    const busyCharger = await h.gql(RETIRE_CHARGER, tok, { id: c.id });
    expect(busyCharger.body.data.retireCharger.userErrors).toEqual([expect.objectContaining({ code: 'IN_USE', field: 'id' })]);
    await withTenant(h.knex, t, (trx) => trx('connectors').where({ id }).update({ status: 'Available' }));
    const retired = await h.gql(RETIRE_CONNECTOR, tok, { id });
    expect(retired.body.data.retireConnector.connector.retiredAt).toEqual(expect.any(String));
    const list = await h.gql('query($id: ID!) { charger(id: $id) { connectors { connectorNo } } }', tok, { id: c.id });
    expect(list.body.data.charger.connectors).toEqual([{ connectorNo: 1 }]);

    // retiring the charger retires its remaining connectors with it
    expect((await h.gql(RETIRE_CHARGER, tok, { id: c.id })).body.data.retireCharger.userErrors).toEqual([]);
    const left = await withTenant(h.knex, t, (trx) => trx('connectors').where({ charger_id: c.id }).whereNull('retired_at').count<{ n: string }[]>('* as n'));
    expect(Number(left[0].n)).toBe(0);
    const onRetired = await h.gql(CREATE_CONNECTOR, tok, { c: c.id, input: { connectorNo: 3 } });
    expect(onRetired.body.data.createConnector.userErrors).toEqual([expect.objectContaining({ code: 'RETIRED', field: 'chargerId' })]);
  });

  it("cannot add connectors to, or retire, another tenant's charger", async () => {
    const a = h.tenant();
    const b = h.tenant();
    const s = await createStation(a);
    const c = await createCharger(a, s.id, { connectors: [{ connectorNo: 1 }] });
    const tb = await h.token(b);
    expect((await h.gql(CREATE_CONNECTOR, tb, { c: c.id, input: { connectorNo: 2 } })).body.data.createConnector.userErrors[0].code).toBe('NOT_FOUND');
    expect((await h.gql(RETIRE_CHARGER, tb, { id: c.id })).body.data.retireCharger.userErrors[0].code).toBe('NOT_FOUND');
    expect((await h.gql(RETIRE_CONNECTOR, tb, { id: c.connectors[0].id })).body.data.retireConnector.userErrors[0].code).toBe('NOT_FOUND');
  });

  it('the demo seed still works beside API-created chargers (same partial unique index)', async () => {
    const t = h.tenant();
    await seedDemoAssets(h.knex, t, [{ code: 'SEED-S', name: 'Seeded', chargers: [{ code: 'SEED-CP-1', connectors: 2 }] }]);
    await seedDemoAssets(h.knex, t, [{ code: 'SEED-S', name: 'Seeded', chargers: [{ code: 'SEED-CP-1', connectors: 2 }] }]);
    const r = await h.gql('{ chargerByCode(code: "SEED-CP-1") { connectors { connectorNo } } }', await h.token(t));
    expect(r.body.data.chargerByCode.connectors).toHaveLength(2);
  });
});

describe('quotas', () => {
  it('refuses the creation past maxStations / maxChargers with QUOTA_EXCEEDED; retired ones do not count', async () => {
    const t = h.tenant({ maxStations: 2, maxChargers: 1 });
    const s1 = await createStation(t);
    await createStation(t);
    const third = await h.gql(CREATE_STATION, await h.token(t), { input: station() });
    expect(third.body.data.createStation).toEqual({
      station: null,
      userErrors: [{ code: 'QUOTA_EXCEEDED', field: null, message: expect.stringContaining('2') }],
    });
    const c = await createCharger(t, s1.id);
    const second = await h.gql(CREATE_CHARGER, await h.token(t), { input: charger(s1.id) });
    expect(second.body.data.createCharger.userErrors).toEqual([expect.objectContaining({ code: 'QUOTA_EXCEEDED' })]);
    await h.gql(RETIRE_CHARGER, await h.token(t), { id: c.id });
    await createCharger(t, s1.id);
    // the service asked with its own verified service identity
    expect(h.tenants.calls.filter((x) => x.error)).toEqual([]);
    expect(new Set(h.tenants.calls.map((x) => x.subject))).toEqual(new Set(['assets']));
  });

  it('concurrent creations cannot overshoot the quota', async () => {
    const t = h.tenant({ maxStations: 5, maxChargers: 3 });
    const tok = await h.token(t);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => h.gql(CREATE_STATION, tok, { input: station({ code: `RACE-${i}` }) })));
    const created = results.filter((r) => r.body.data.createStation.station);
    const refused = results.filter((r) => r.body.data.createStation.userErrors[0]?.code === 'QUOTA_EXCEEDED');
    expect([created.length, refused.length]).toEqual([5, 7]);
    const stationId = created[0].body.data.createStation.station.id as string;
    const chargers = await Promise.all(Array.from({ length: 8 }, () => h.gql(CREATE_CHARGER, tok, { input: charger(stationId) })));
    expect(chargers.filter((r) => r.body.data.createCharger.charger).length).toBe(3);
    const n = await withTenant(h.knex, t, (trx) => trx('chargers').where({ registration_state: 'REGISTERED' }).count<{ n: string }[]>('* as n'));
    expect(Number(n[0].n)).toBe(3);
  });

  it('a tenant the tenants service does not know creates nothing (UNKNOWN_TENANT)', async () => {
    const r = await h.gql(CREATE_STATION, await h.token('00000000-0000-4000-8000-000000000001'), { input: station() });
    expect(r.body.data.createStation.userErrors).toEqual([expect.objectContaining({ code: 'UNKNOWN_TENANT', field: null })]);
  });

  it.each([
    ['is down (HTTP 503)', (f: Harness['tenants']) => (f.down = true)],
    ['does not offer tenantQuotas yet (the placeholder subgraph)', (f: Harness['tenants']) => (f.offerQuotas = false)],
  ])('when the tenants service %s, creation is refused with a retriable DEPENDENCY_UNAVAILABLE — never unlimited', async (_what, breakIt) => {
    const t = h.tenant();
    breakIt(h.tenants);
    try {
      const r = await h.gql(CREATE_STATION, await h.token(t), { input: station() });
      expect(r.body.data).toBeNull();
      expect(r.body.errors[0].extensions).toEqual({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
      const n = await withTenant(h.knex, t, (trx) => trx('stations').count<{ n: string }[]>('* as n'));
      expect(Number(n[0].n)).toBe(0);
    } finally {
      h.tenants.down = false;
      h.tenants.offerQuotas = true;
    }
  });
});
