import { authorize, exportCsv, IdTagRecord, parseCsvRecords, parseImportCsv, validateImportRows } from '../src/domain/id-tag-rules';

const tag = (over: Partial<IdTagRecord> = {}): IdTagRecord => ({
  id: 't1',
  tenantId: '00000000-0000-4000-8000-000000000001',
  value: 'CARD-1',
  status: 'ACCEPTED',
  expiresAt: null,
  parentIdTag: null,
  userId: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...over,
});

describe('id-tag import: CSV parsing', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, and skips blank lines', () => {
    expect(parseCsvRecords('a,b\r\n"x,1","say ""hi"""\n\n"multi\nline",z\n')).toEqual([
      ['a', 'b'],
      ['x,1', 'say "hi"'],
      ['multi\nline', 'z'],
    ]);
    expect(parseCsvRecords('a,b')).toEqual([['a', 'b']]);
    expect(parseCsvRecords('a,"open')).toBeNull();
    expect(parseCsvRecords('"closed"x,b')).toBeNull();
  });

  it('maps columns by the header, in any order: a column left out is absent (keep), an empty cell null (clear)', () => {
    const { rows, errors } = parseImportCsv('userId,value,status\n,AA01,BLOCKED\n9b2f0c4e-7d7a-4b54-8a6c-0c7b2f6a1d11,bb02,\n');
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      { value: 'AA01', status: 'BLOCKED', userId: null },
      { value: 'bb02', status: null, userId: '9b2f0c4e-7d7a-4b54-8a6c-0c7b2f6a1d11' },
    ]);
  });

  it('refuses a header without value, unknown or repeated columns, and rows of the wrong width', () => {
    expect(parseImportCsv('status\nACCEPTED').errors.map((e) => e.field)).toEqual(['csv']);
    expect(parseImportCsv('value,colour\nA,red').errors[0].message).toMatch(/Unknown column\(s\): colour/);
    expect(parseImportCsv('value,value\nA,B').errors[0].message).toMatch(/named twice/);
    expect(parseImportCsv('').errors[0].message).toMatch(/no header/);
    const r = parseImportCsv('value,status\nA\nB,ACCEPTED,extra\nC,ACCEPTED');
    expect(r.errors.map((e) => e.field)).toEqual(['rows[0]', 'rows[1]']);
    expect(r.rows).toHaveLength(3);
  });
});

describe('id-tag import: row validation', () => {
  it('reports every problem with its row and field; what a row leaves out stays out, an empty status is ACCEPTED', () => {
    const { rows, errors } = validateImportRows([
      { value: 'GOOD-1' },
      { value: 'has space', status: 'ACCEPTED' },
      { value: 'x'.repeat(21) },
      { value: 'good-1' },
      { value: 'OK-2', status: 'LOST', expiresAt: '2027-01-01', parentIdTag: 'bad parent', userId: 'nope' },
      { value: 'OK-3', status: 'blocked', expiresAt: '2027-01-31T23:59:59+08:00' },
    ]);
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['rows[1].value', 'INVALID_INPUT'],
      ['rows[2].value', 'INVALID_INPUT'],
      ['rows[3].value', 'DUPLICATE'],
      ['rows[4].status', 'INVALID_INPUT'],
      ['rows[4].expiresAt', 'INVALID_INPUT'],
      ['rows[4].parentIdTag', 'INVALID_INPUT'],
      ['rows[4].userId', 'INVALID_INPUT'],
    ]);
    expect(rows[0]).toEqual({ value: 'GOOD-1' });
    expect(validateImportRows([{ value: 'X', status: null, expiresAt: null }]).rows[0]).toEqual({ value: 'X', status: 'ACCEPTED', expiresAt: null });
    expect(rows[5]).toMatchObject({ status: 'BLOCKED', expiresAt: new Date('2027-01-31T15:59:59Z') });
  });

  it('refuses an empty import and one above the limit', () => {
    expect(validateImportRows([]).errors[0].field).toBe('rows');
    expect(validateImportRows(Array.from({ length: 5001 }, (_, i) => ({ value: `T${i}` }))).errors[0].message).toMatch(/At most 5000/);
  });

  it('an export reads back as the same rows', () => {
    const tags = [
      tag({
        value: 'A,1',
        status: 'BLOCKED',
        expiresAt: new Date('2027-03-01T00:00:00Z'),
        parentIdTag: 'GROUP',
        userId: '9b2f0c4e-7d7a-4b54-8a6c-0c7b2f6a1d11',
      }),
      tag({ value: 'q"2' }),
    ];
    const back = validateImportRows(parseImportCsv(exportCsv(tags)).rows);
    expect(back.errors).toEqual([]);
    expect(back.rows).toEqual(tags.map((t) => ({ value: t.value, status: t.status, expiresAt: t.expiresAt, parentIdTag: t.parentIdTag, userId: t.userId })));
  });
});

describe('id-tag authority: the answer a charger gets', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const station = '11111111-1111-4111-8111-111111111111';
  const off = { freeVending: false, freeVendingStationIds: [] };

  it('unknown tags are Invalid, unless the station is free-vending', () => {
    expect(authorize(null, off, station, now).status).toBe('Invalid');
    expect(authorize(null, { freeVending: true, freeVendingStationIds: [] }, null, now)).toMatchObject({ status: 'Accepted', freeVending: true });
    expect(authorize(null, { freeVending: true, freeVendingStationIds: [station] }, station, now).status).toBe('Accepted');
    expect(authorize(null, { freeVending: true, freeVendingStationIds: [station] }, '22222222-2222-4222-8222-222222222222', now).status).toBe('Invalid');
    expect(authorize(null, { freeVending: true, freeVendingStationIds: [station] }, null, now).status).toBe('Invalid');
  });

  it('known tags answer their own status, whatever the policy; past expiry is Expired', () => {
    const free = { freeVending: true, freeVendingStationIds: [] };
    expect(authorize(tag({ status: 'BLOCKED' }), free, station, now).status).toBe('Blocked');
    expect(authorize(tag({ status: 'EXPIRED' }), free, station, now).status).toBe('Expired');
    expect(authorize(tag({ expiresAt: new Date('2026-12-01T11:59:59Z') }), off, station, now).status).toBe('Expired');
    const user = '9b2f0c4e-7d7a-4b54-8a6c-0c7b2f6a1d11';
    expect(authorize(tag({ expiresAt: new Date('2027-01-01T00:00:00Z'), parentIdTag: 'G', userId: user }), off, station, now)).toEqual({
      status: 'Accepted',
      expiryDate: new Date('2027-01-01T00:00:00Z'),
      parentIdTag: 'G',
      userId: user,
      freeVending: false,
    });
  });
});
