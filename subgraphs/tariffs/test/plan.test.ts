import fc from 'fast-check';
import { validateCurrency, validateSegments, validateTimezone, versionAt } from '../src/domain/plan';
import { aVersion, EXAMPLE_SEGMENTS, seg } from './builders';

const errorsOf = (segments: Parameters<typeof validateSegments>[0]) => {
  const r = validateSegments(segments);
  return r.ok ? [] : r.errors;
};

describe('plan validation', () => {
  it('accepts the example plan, 24:00 as an end, and a segment across midnight', () => {
    expect(validateSegments(EXAMPLE_SEGMENTS).ok).toBe(true);
    expect(validateSegments([seg('22:00', '06:00'), seg('06:00', '22:00')]).ok).toBe(true);
    expect(validateSegments([seg('00:00', '24:00')]).ok).toBe(true);
    expect(validateSegments([seg('18:00', '00:00'), seg('00:00', '18:00')]).ok).toBe(true);
  });

  it('sorts the accepted segments by start', () => {
    const r = validateSegments([EXAMPLE_SEGMENTS[2], EXAMPLE_SEGMENTS[0], EXAMPLE_SEGMENTS[1]]);
    expect(r.ok && r.segments.map((s) => s.start)).toEqual(['00:00', '08:00', '18:00']);
  });

  it('names the overlapping segment by number and times, in the field of the later one', () => {
    const errors = errorsOf([seg('00:00', '08:00'), seg('08:00', '19:00'), seg('20:00', '24:00'), seg('18:00', '20:00')]);
    expect(errors).toEqual([{ code: 'SEGMENT_OVERLAP', field: 'segments[3]', message: 'segment 4 (18:00–20:00) overlaps segment 2 (08:00–19:00) at 18:00' }]);
  });

  it('says which part of the day is uncovered', () => {
    expect(errorsOf([seg('00:00', '08:00'), seg('09:00', '24:00')])).toEqual([
      { code: 'SEGMENTS_INCOMPLETE', field: 'segments', message: 'segments must cover the whole day; uncovered: 08:00–09:00' },
    ]);
    expect(errorsOf([seg('22:00', '06:00')])[0].message).toBe('segments must cover the whole day; uncovered: 06:00–22:00');
  });

  it.each([
    [seg('08:10', '24:00'), 'segment 1 (08:10–24:00): start 08:10 is not on a 15-minute boundary'],
    [seg('00:00', '24:15'), 'segment 1 (00:00–24:15): end "24:15" is not a time of day'],
    [seg('24:00', '08:00'), 'segment 1 (24:00–08:00): start 24:00 is not a start of anything; use 00:00'],
    [seg('8:00', '24:00'), 'segment 1 (8:00–24:00): start "8:00" is not HH:MM'],
    [seg('08:00', '08:00'), 'segment 1 (08:00–08:00): is empty (start equals end); a whole day is 00:00–24:00'],
    [seg('00:00', '24:00', '0.12345'), 'segment 1 (00:00–24:00): energy price 0.12345 has more than 4 decimal places'],
    [seg('00:00', '24:00', '1', '-0.1'), 'segment 1 (00:00–24:00): service fee -0.1 is negative'],
    [seg('00:00', '24:00', '1e3'), 'segment 1 (00:00–24:00): energy price "1e3" is not a decimal number'],
  ])('refuses %j: %s', (s, message) => {
    expect(errorsOf([s])).toEqual([{ code: 'INVALID_SEGMENT', field: 'segments[0]', message }]);
  });

  it('refuses more than 96 segments and an empty list', () => {
    const many = Array.from({ length: 97 }, () => seg('00:00', '00:15'));
    expect(errorsOf(many)[0].code).toBe('TOO_MANY_SEGMENTS');
    expect(errorsOf([])[0].code).toBe('SEGMENTS_INCOMPLETE');
  });

  it('accepts exactly 96 quarter-hour segments', () => {
    const all = Array.from({ length: 96 }, (_, i) =>
      seg(
        `${String(Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`,
        i === 95 ? '24:00' : `${String(Math.floor((i + 1) / 4)).padStart(2, '0')}:${String(((i + 1) % 4) * 15).padStart(2, '0')}`,
      ),
    );
    expect(validateSegments(all).ok).toBe(true);
  });

  it('any list of segments is either accepted (covering every quarter exactly once) or refused with messages', () => {
    const clock = fc.integer({ min: 0, max: 96 }).map((q) => `${String(Math.floor((q * 15) / 60)).padStart(2, '0')}:${String((q * 15) % 60).padStart(2, '0')}`);
    fc.assert(
      fc.property(fc.array(fc.tuple(clock, clock), { minLength: 1, maxLength: 6 }), (pairs) => {
        const r = validateSegments(pairs.map(([a, b]) => seg(a, b)));
        if (!r.ok) expect(r.errors.every((e) => e.message.length > 0)).toBe(true);
      }),
    );
  });

  it('checks currency and timezone', () => {
    expect(validateCurrency('CNY')).toBeNull();
    expect(validateCurrency('yuan')?.code).toBe('INVALID_CURRENCY');
    // ISO-shaped but without a minor unit the platform's money knows: a total could not be rounded
    expect(validateCurrency('XYZ')?.code).toBe('INVALID_CURRENCY');
    expect(validateCurrency('JPY')).toBeNull();
    expect(validateTimezone('Asia/Shanghai')).toBeNull();
    expect(validateTimezone('Mars/Olympus')?.code).toBe('INVALID_TIMEZONE');
  });
});

describe('versionAt', () => {
  const plan = {
    versions: [
      aVersion({ version: 1, effectiveFrom: '2026-01-01T00:00:00Z' }),
      aVersion({ version: 2, effectiveFrom: '2026-02-01T00:00:00Z' }),
      aVersion({ version: 3, effectiveFrom: '2026-02-01T00:00:00Z' }),
    ],
  };
  it('picks the latest version in force, the higher number on a tie, and the first before any', () => {
    expect(versionAt(plan.versions, Date.parse('2026-01-31T23:59:59.999Z')).version).toBe(1);
    expect(versionAt(plan.versions, Date.parse('2026-02-01T00:00:00Z')).version).toBe(3);
    expect(versionAt(plan.versions, Date.parse('2025-01-01T00:00:00Z')).version).toBe(1);
  });
});
