import { dayWindow, formatLocal, isTimeZone, localDate, parseLocal, previousLocalDate, zoneOffsetMs } from '../src';

describe('zone arithmetic (one library, every zone named)', () => {
  it('isTimeZone: IANA names and links, not offsets or garbage', () => {
    for (const tz of ['Asia/Shanghai', 'Asia/Chongqing', 'Europe/Berlin', 'UTC', 'America/Argentina/Buenos_Aires']) expect(isTimeZone(tz)).toBe(true);
    for (const tz of ['+08:00', 'GMT+8', 'Mars/Olympus', '', 'Asia/Shanghai; drop', 'asia shanghai']) expect(isTimeZone(tz)).toBe(false);
  });

  it('dayWindow: a Shanghai day is 24 h from 16:00 UTC; a Berlin DST day is 23 h', () => {
    expect(dayWindow('2026-12-01', 'Asia/Shanghai')).toEqual({ from: new Date('2026-11-30T16:00:00Z'), to: new Date('2026-12-01T16:00:00Z') });
    const spring = dayWindow('2026-03-29', 'Europe/Berlin');
    expect(spring.to.getTime() - spring.from.getTime()).toBe(23 * 3600_000);
    expect(() => dayWindow('2026-02-30', 'Asia/Shanghai')).toThrow(RangeError);
    expect(() => dayWindow('2026-12-01', '+08:00')).toThrow(/not an IANA time zone/);
  });

  it('local days and previous days follow the zone, not the machine', () => {
    const at = new Date('2026-12-01T17:30:00Z');
    expect(localDate(at, 'Asia/Shanghai')).toBe('2026-12-02');
    expect(localDate(at, 'UTC')).toBe('2026-12-01');
    expect(previousLocalDate(at, 'Asia/Shanghai')).toBe('2026-12-01');
  });

  it('wall-clock text round-trips in the named zone; malformed text is null', () => {
    const at = new Date('2026-12-01T02:03:04Z');
    expect(formatLocal(at, 'Asia/Shanghai')).toBe('2026-12-01 10:03:04');
    expect(parseLocal('2026-12-01 10:03:04', 'Asia/Shanghai')).toEqual(at);
    expect(formatLocal(at, 'Asia/Shanghai', 'yyMMddHHmmss')).toBe('261201100304');
    for (const bad of ['2026-12-01T10:03:04', '2026-13-01 10:03:04', '', undefined]) expect(parseLocal(bad, 'Asia/Shanghai')).toBeNull();
  });

  it('zoneOffsetMs: +8 h in Shanghai all year, +1/+2 h in Berlin', () => {
    expect(zoneOffsetMs('Asia/Shanghai', Date.UTC(2026, 6, 1))).toBe(8 * 3600_000);
    expect(zoneOffsetMs('Europe/Berlin', Date.UTC(2026, 0, 15))).toBe(3600_000);
    expect(zoneOffsetMs('Europe/Berlin', Date.UTC(2026, 6, 15))).toBe(2 * 3600_000);
  });
});
