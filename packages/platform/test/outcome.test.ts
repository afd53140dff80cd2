import { fail, failAll, fieldPath, ok, userErrorsOf } from '../src';

describe('outcomes and field paths', () => {
  it('fieldPath: keys with dots, list positions in brackets', () => {
    expect(fieldPath('segments', 3, 'start')).toBe('segments[3].start');
    expect(fieldPath('rows', 0)).toBe('rows[0]');
    expect(fieldPath('connectors', 1, 'maxPowerKw')).toBe('connectors[1].maxPowerKw');
    expect(fieldPath('name')).toBe('name');
    expect(() => fieldPath('rows', -1)).toThrow(RangeError);
    expect(() => fieldPath('rows', 1.5)).toThrow(RangeError);
    expect(() => fieldPath('')).toThrow(RangeError);
  });

  it('a payload states the errors of a failed outcome and none of a good one', () => {
    expect(userErrorsOf(ok(1))).toEqual([]);
    const [e] = userErrorsOf(fail('NOT_FOUND', 'planId', 'no such plan'));
    expect({ ...e }).toEqual({ code: 'NOT_FOUND', field: 'planId', message: 'no such plan' });
    expect(e.constructor.name).toBe('UserErrorObject');
    expect(
      userErrorsOf(
        failAll([
          { code: 'A', field: null, message: 'a' },
          { code: 'B', field: 'x', message: 'b' },
        ]),
      ).map((x) => x.code),
    ).toEqual(['A', 'B']);
  });
});
