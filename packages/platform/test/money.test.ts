import fc from 'fast-check';
import {
  addMoney,
  compareMoney,
  currencyExponent,
  energyFromKwh,
  energyFromWh,
  formatMoney,
  money,
  moneyFromRational,
  moneyObject,
  parseMoney,
  subtractMoney,
  sumMoney,
  tryParseMoney,
} from '../src';

describe('parseMoney', () => {
  it('reads CNY decimal strings into fen exactly', () => {
    expect(parseMoney('12.34', 'CNY')).toEqual({ minor: 1234, currency: 'CNY' });
    expect(parseMoney('12.3', 'CNY').minor).toBe(1230);
    expect(parseMoney('12', 'CNY').minor).toBe(1200);
    expect(parseMoney('0.01', 'CNY').minor).toBe(1);
    expect(parseMoney('000.10', 'CNY').minor).toBe(10);
    // a float would make 0.29 * 100 = 28.999999999999996
    expect(parseMoney('0.29', 'CNY').minor).toBe(29);
    expect(parseMoney('1.15', 'CNY').minor).toBe(115);
  });

  it('knows currencies with 0 and 3 decimals', () => {
    expect(currencyExponent('CNY')).toBe(2);
    expect(parseMoney('1234', 'JPY').minor).toBe(1234);
    expect(() => parseMoney('12.5', 'JPY')).toThrow(/more than 0 decimal/);
    expect(parseMoney('1.234', 'KWD').minor).toBe(1234);
    expect(parseMoney('1.2', 'KWD').minor).toBe(1200);
    expect(() => parseMoney('1.2345', 'KWD')).toThrow(/more than 3 decimal/);
  });

  it('refuses more decimals than the currency has, unless asked to round half-up', () => {
    expect(() => parseMoney('12.345', 'CNY')).toThrow(/more than 2 decimal/);
    expect(parseMoney('22.805', 'CNY', 'HALF_UP').minor).toBe(2281);
    expect(parseMoney('22.8049999', 'CNY', 'HALF_UP').minor).toBe(2280);
    expect(parseMoney('-0.005', 'CNY', 'HALF_UP').minor).toBe(-1);
    expect(parseMoney('0.0049', 'CNY', 'HALF_UP').minor).toBe(0);
  });

  it('reads negative amounts (differences)', () => {
    expect(parseMoney('-12.34', 'CNY').minor).toBe(-1234);
    expect(parseMoney('-0.00', 'CNY').minor).toBe(0);
    expect(Object.is(parseMoney('-0.00', 'CNY').minor, -0)).toBe(false);
  });

  it('refuses what is not a plain decimal', () => {
    for (const s of ['', '.5', '5.', '1e3', '1,000.00', ' 1.00', '1.00 ', '0x10', 'NaN', '¥1.00', '--1']) {
      expect(() => parseMoney(s, 'CNY')).toThrow(RangeError);
      expect(tryParseMoney(s, 'CNY')).toBeNull();
    }
  });

  it('refuses unknown currencies', () => {
    expect(() => parseMoney('1.00', 'XXX')).toThrow(/unknown currency/);
    expect(() => parseMoney('1.00', 'cny')).toThrow(/unknown currency/);
    expect(() => money(1, 'RMB')).toThrow(/unknown currency/);
  });

  it('refuses amounts beyond the safe integer range instead of losing digits', () => {
    expect(parseMoney('90071992547409.91', 'CNY').minor).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseMoney('90071992547409.92', 'CNY')).toThrow(/out of range/);
    expect(() => parseMoney('-90071992547409.92', 'CNY')).toThrow(/out of range/);
    expect(() => money(2 ** 53, 'CNY')).toThrow(/safe integer/);
    expect(() => money(1.5, 'CNY')).toThrow(/safe integer/);
    expect(() => money(Number.NaN, 'CNY')).toThrow(/safe integer/);
  });
});

describe('formatMoney', () => {
  it('prints exactly the currency decimals', () => {
    expect(formatMoney(money(1234, 'CNY'))).toBe('12.34');
    expect(formatMoney(money(5, 'CNY'))).toBe('0.05');
    expect(formatMoney(money(0, 'CNY'))).toBe('0.00');
    expect(formatMoney(money(-5, 'CNY'))).toBe('-0.05');
    expect(formatMoney(money(1234, 'JPY'))).toBe('1234');
    expect(formatMoney(money(1234, 'KWD'))).toBe('1.234');
    expect(formatMoney(money(7, 'KWD'))).toBe('0.007');
    expect(formatMoney(money(Number.MAX_SAFE_INTEGER, 'CNY'))).toBe('90071992547409.91');
  });

  it('round-trips with parseMoney for every safe amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom('CNY', 'JPY', 'KWD'), (minor, currency) => {
        expect(parseMoney(formatMoney(money(minor, currency)), currency).minor).toBe(minor);
      }),
    );
  });
});

describe('arithmetic', () => {
  it('adds, subtracts, sums and compares within one currency', () => {
    const a = money(1234, 'CNY');
    const b = money(66, 'CNY');
    expect(addMoney(a, b).minor).toBe(1300);
    expect(subtractMoney(b, a).minor).toBe(-1168);
    expect(sumMoney([a, b, b], 'CNY').minor).toBe(1366);
    expect(sumMoney([], 'CNY')).toEqual(money(0, 'CNY'));
    expect(compareMoney(a, b)).toBe(1);
    expect(compareMoney(b, a)).toBe(-1);
    expect(compareMoney(a, money(1234, 'CNY'))).toBe(0);
  });

  it('refuses to mix currencies', () => {
    expect(() => addMoney(money(1, 'CNY'), money(1, 'HKD'))).toThrow(/currencies differ/);
    expect(() => compareMoney(money(1, 'CNY'), money(1, 'JPY'))).toThrow(/currencies differ/);
  });

  it('refuses a sum that overflows', () => {
    expect(() => addMoney(money(Number.MAX_SAFE_INTEGER, 'CNY'), money(1, 'CNY'))).toThrow(RangeError);
  });

  it('rounds exact rationals half-up to minor units', () => {
    expect(moneyFromRational(22805n, 1000n, 'CNY').minor).toBe(2281);
    expect(moneyFromRational(1n, 3n, 'CNY').minor).toBe(33);
    expect(moneyFromRational(2n, 3n, 'CNY').minor).toBe(67);
    expect(moneyFromRational(-1n, 200n, 'CNY').minor).toBe(-1);
    expect(moneyFromRational(5n, 2n, 'JPY').minor).toBe(3);
  });
});

describe('the GraphQL shapes', () => {
  it('carry minor units, currency and the formatted amount', () => {
    expect({ ...moneyObject(money(1234, 'CNY')) }).toEqual({ minor: 1234, currency: 'CNY', formatted: '12.34' });
  });

  it('state energy in exact Wh and kWh', () => {
    expect(energyFromWh(12345)).toEqual({ wh: '12345', kwh: '12.345' });
    expect(energyFromWh(0)).toEqual({ wh: '0', kwh: '0.000' });
    expect(energyFromWh(5)).toEqual({ wh: '5', kwh: '0.005' });
    expect(energyFromWh('1234.50')).toEqual({ wh: '1234.5', kwh: '1.2345' });
    expect(energyFromWh('0012000')).toEqual({ wh: '12000', kwh: '12.000' });
    expect(() => energyFromWh(1.5)).toThrow(RangeError);
    expect(() => energyFromWh('1e3')).toThrow(RangeError);
    expect(energyFromKwh('1.2345')).toEqual({ wh: '1234.5', kwh: '1.2345' });
    expect(energyFromKwh('12.3')).toEqual({ wh: '12300', kwh: '12.300' });
    expect(energyFromKwh('0.0000')).toEqual({ wh: '0', kwh: '0.000' });
  });
});
