import * as sec from '../src/domain/charger-security';
import fc from 'fast-check';
import {
  isValidTimezone,
  parsePowerKw,
  validateChargerCreate,
  validateChargerPatch,
  validateStationCreate,
  validateStationPatch,
} from '../src/domain/validation';
import { decodeCursor, encodeCursor, pageSize } from '../src/graphql/cursor';

const fields = (r: { ok: boolean; errors?: { field: string | null; code: string }[] }) =>
  r.ok ? [] : (r.errors ?? []).map((e) => `${e.field}:${e.code}`).sort();

describe('station rules', () => {
  it('applies defaults and trims', () => {
    const r = validateStationCreate({ code: ' S-1 ', name: ' Depot ', address: '  ' });
    expect(r).toEqual({
      ok: true,
      value: { code: 'S-1', name: 'Depot', address: null, latitude: null, longitude: null, timezone: 'Asia/Shanghai', status: 'OPERATING' },
    });
  });

  it('reports all problems at once', () => {
    expect(fields(validateStationCreate({ code: '-x', name: 'x'.repeat(201), latitude: -90.5, longitude: 181, timezone: 'UTC+8', status: 'CLOSED' }))).toEqual(
      ['code:INVALID', 'name:INVALID', 'latitude:INVALID', 'longitude:INVALID', 'timezone:INVALID', 'status:INVALID'].sort(),
    );
  });

  it('coordinates come in pairs; boundaries are valid', () => {
    expect(fields(validateStationCreate({ code: 'a', name: 'a', latitude: 1 }))).toEqual(['longitude:REQUIRED']);
    expect(validateStationCreate({ code: 'a', name: 'a', latitude: -90, longitude: 180 }).ok).toBe(true);
    expect(fields(validateStationPatch({ longitude: 1 }))).toEqual(['latitude:INVALID']);
    expect(validateStationPatch({ latitude: null, longitude: null })).toEqual({ ok: true, value: { latitude: null, longitude: null } });
  });

  it('a patch changes only what is given, and cannot clear required fields', () => {
    expect(validateStationPatch({ name: 'New' })).toEqual({ ok: true, value: { name: 'New' } });
    expect(fields(validateStationPatch({ name: null, timezone: null, status: null }))).toEqual(['name:REQUIRED', 'status:REQUIRED', 'timezone:REQUIRED']);
  });

  it.each(['Asia/Shanghai', 'Asia/Urumqi', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Asia/Chongqing'])(
    'accepts the IANA timezone %s',
    (tz) => {
      expect(isValidTimezone(tz)).toBe(true);
    },
  );
  it.each(['', 'Mars/Olympus', '+08:00', 'GMT+8 ', 'Asia/Shanghai/', '../etc/passwd', 'Asia/Shang hai'])('rejects %j as a timezone', (tz) => {
    expect(isValidTimezone(tz)).toBe(false);
  });
});

describe('power values are exact decimals', () => {
  it.each([
    ['7.4', '7.4'],
    ['120', '120'],
    [' 22.00 ', '22.00'],
    ['999999.99', '999999.99'],
    ['0.01', '0.01'],
  ])('%j is %j kW', (raw, exact) => expect(parsePowerKw(raw)).toBe(exact));
  it.each(['0', '0.0', '-1', '1e3', '1.234', '01', '1,5', '1000000', '.5', 'NaN', 'Infinity', ''])('%j is refused', (raw) =>
    expect(parsePowerKw(raw)).toBeNull(),
  );

  it('anything accepted fits numeric(8,2) exactly and is positive', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (s) => {
        const p = parsePowerKw(s);
        if (p === null) return;
        expect(p).toMatch(/^\d{1,6}(\.\d{1,2})?$/);
        expect(Number(p)).toBeGreaterThan(0);
      }),
    );
  });
});

describe('charger rules', () => {
  const base = { stationId: '5b1f6a3e-3f5e-4c55-9d2c-0d4d1b6f7a10', code: 'CP-1', protocol: 'OCPP16' as const, currentType: 'DC' as const, ratedPowerKw: '60' };

  it('YKC chargers are named by their 14-digit pile code', () => {
    expect(fields(validateChargerCreate({ ...base, protocol: 'YKC' }))).toEqual(['code:INVALID']);
    expect(validateChargerCreate({ ...base, protocol: 'YKC', code: '32010600213579' }).ok).toBe(true);
  });

  it('OCPP charge point ids are URL-safe and at most 48 characters', () => {
    expect(fields(validateChargerCreate({ ...base, code: 'a/b' }))).toEqual(['code:INVALID']);
    expect(fields(validateChargerCreate({ ...base, code: 'x'.repeat(49) }))).toEqual(['code:INVALID']);
    expect(validateChargerCreate({ ...base, code: 'ACME:CP.01_a-b' }).ok).toBe(true);
  });

  it('connector lists: numbers 1..255, no duplicates, nested field names', () => {
    const r = validateChargerCreate({ ...base, connectors: [{ connectorNo: 1 }, { connectorNo: 256 }, { connectorNo: 1, maxPowerKw: 'x' }] });
    expect(fields(r)).toEqual(['connectors[1].connectorNo:INVALID', 'connectors[2].connectorNo:DUPLICATE', 'connectors[2].maxPowerKw:INVALID'].sort());
  });

  it('requires the essentials', () => {
    expect(fields(validateChargerCreate({}))).toEqual(['code:REQUIRED', 'currentType:REQUIRED', 'ratedPowerKw:REQUIRED', 'stationId:REQUIRED']);
  });

  it('a patch cannot clear the rated power or current type', () => {
    expect(fields(validateChargerPatch({ ratedPowerKw: null, currentType: null }))).toEqual(['currentType:REQUIRED', 'ratedPowerKw:REQUIRED']);
    expect(validateChargerPatch({ vendor: null })).toEqual({ ok: true, value: { vendor: null } });
  });
});

describe('cursors', () => {
  const id = '5b1f6a3e-3f5e-4c55-9d2c-0d4d1b6f7a10';
  it('round-trip any code, and are tagged by list', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (code) => {
        expect(decodeCursor('station', encodeCursor('station', { code, id }))).toEqual({ code, id });
      }),
    );
    expect(() => decodeCursor('charger', encodeCursor('station', { code: 'a', id }))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('refuse anything else with BAD_USER_INPUT', () => {
    for (const c of ['', '!!!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('["station",1,"x"]').toString('base64url'), 'a'.repeat(2000)]) {
      expect(() => decodeCursor('station', c)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    }
  });

  it('page sizes are 1..500', () => {
    expect(pageSize(1)).toBe(1);
    expect(pageSize(500)).toBe(500);
    for (const n of [0, -1, 501, 1.5]) expect(() => pageSize(n)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});

describe('charger security rules', () => {
  it('initial security: OCPP profile 1 with a generated password; profile 0 without one; YKC with its identity', async () => {
    const ocpp = await sec.initialSecurity('OCPP16', {}, () => 'generated-password-0123456789');
    expect(ocpp).toMatchObject({
      ok: true,
      value: { password: 'generated-password-0123456789', change: { securityProfile: 1, passwordHash: expect.stringMatching(/^scrypt\$/) } },
    });
    const p0 = await sec.initialSecurity('OCPP16', { securityProfile: 0 });
    expect(p0).toEqual({ ok: true, value: { password: null, change: { securityProfile: 0 } } });
    const bad = await sec.initialSecurity('OCPP16', { securityProfile: 0, password: 'a-password-of-20-chars' });
    expect(bad.ok ? [] : bad.errors.map((e) => e.field)).toEqual(['security.password']);
    const ykc = await sec.initialSecurity('YKC', { ykcIdentity: { sim: '123', pileType: 0, guns: 2, network: 0, carrier: 4 } });
    expect(ykc).toMatchObject({
      ok: true,
      value: { password: null, change: { ykcIdentity: { source: 'REGISTERED', identity: { sim: '00000000000000000123' } } } },
    });
    const wrong = await sec.initialSecurity('YKC', { securityProfile: 1, password: 'x'.repeat(20) });
    expect(wrong.ok ? [] : wrong.errors.map((e) => e.field).sort()).toEqual(['security.password', 'security.securityProfile']);
  });

  it('networks, passwords and identity mismatches', () => {
    expect(sec.validateCidrs('n', ['10.0.0.0/8', '::1', '2001:db8::/129'])).toMatchObject({ ok: false, errors: [{ field: 'n.2' }] });
    expect(sec.validateCidrs('n', ['10.0.0.0/8', '::1'])).toEqual({ ok: true, value: ['10.0.0.0/8', '::1/128'] });
    expect(sec.validatePassword('p', 'short')).toMatchObject({ code: 'INVALID' });
    expect(sec.validatePassword('p', 'x'.repeat(41))).toMatchObject({ code: 'INVALID' });
    expect(sec.validatePassword('p', 'x'.repeat(16))).toBeNull();
    const id = { sim: '1', pileType: 0, guns: 2, network: 0, carrier: 4 };
    expect(sec.ykcIdentityMismatch(id, { ...id, programVersion: 'new' })).toEqual([]);
    expect(sec.ykcIdentityMismatch(id, { ...id, carrier: 1, guns: 1 })).toEqual(['guns', 'carrier']);
  });
});
