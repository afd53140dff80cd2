import { sinceStartWh, registerWh } from '../src/events/charger-events-consumer';
import { toX1e4 } from '../src/domain/money';
import { wallClockStamp, ykcSerial, ykcSerialPrefix } from '../src/domain/ykc-serial';

describe('YKC serials: pile + gun + yyMMddHHmmss on the station clock + counter', () => {
  it("stamps the station's wall clock, whatever its offset or daylight saving", () => {
    const at = new Date('2026-07-01T22:59:59.999Z');
    expect(wallClockStamp(at, 'Asia/Shanghai')).toBe('260702065959');
    expect(wallClockStamp(at, 'Europe/Berlin')).toBe('260702005959'); // CEST, +2
    expect(wallClockStamp(new Date('2026-01-01T00:00:00Z'), 'Europe/Berlin')).toBe('260101010000'); // CET, +1
    expect(wallClockStamp(new Date('2026-12-31T16:00:00Z'), 'Asia/Shanghai')).toBe('270101000000');
  });

  it('lays the serial out as the document does, and refuses what cannot be one', () => {
    const prefix = ykcSerialPrefix('32010600019236', 2, new Date('2026-11-24T10:00:00Z'), 'Asia/Shanghai');
    expect(prefix).toBe('3201060001923602261124180000');
    expect(ykcSerial(prefix!, 17)).toBe('32010600019236022611241800000017');
    expect(ykcSerial(prefix!, 17)).toHaveLength(32);
    expect(ykcSerialPrefix('DEMO-CP-0001', 1, new Date(), 'Asia/Shanghai')).toBeNull();
    expect(ykcSerialPrefix('32010600019236', 100, new Date(), 'Asia/Shanghai')).toBeNull();
    expect(() => ykcSerial(prefix!, 10_000)).toThrow(RangeError);
    expect(() => ykcSerial(prefix!, 0)).toThrow(RangeError);
  });
});

describe('YKC real-time energy and amounts', () => {
  it('energy since start counts only when the sample says so; a register stays a register', () => {
    expect(sinceStartWh({ measurand: 'Energy.Active.Import.Interval', value: '1.2345', unit: 'kWh', sinceStart: true })).toBe(1235);
    expect(sinceStartWh({ measurand: 'Energy.Active.Import.Interval', value: '1.2345', unit: 'kWh' })).toBeNull();
    expect(sinceStartWh({ measurand: 'Amount', value: '1.50', unit: 'CNY', sinceStart: true })).toBeNull();
    expect(registerWh({ measurand: 'Energy.Active.Import.Interval', value: '1.2345', unit: 'kWh' })).toBeNull();
  });

  it('compares amounts at 10^-4 yuan, exactly', () => {
    expect(toX1e4('18.51')).toBe(185_100n);
    expect(toX1e4('6.54250')).toBe(65_425n);
    expect(toX1e4('0.00005')).toBe(1n);
    expect(toX1e4('0.00004')).toBe(0n);
    expect(() => toX1e4('-1')).toThrow(RangeError);
  });
});
