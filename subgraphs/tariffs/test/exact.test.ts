import fc from 'fast-check';
import { Exact } from '../src/domain/exact';

describe('Exact', () => {
  it('parses and prints decimals without floats', () => {
    expect(Exact.parse('0.1').add(Exact.parse('0.2')).toDecimalString()).toBe('0.3');
    expect(Exact.parse('22.805').toFixed(2)).toBe('22.81');
    expect(Exact.parse('22.804999').toFixed(2)).toBe('22.80');
    expect(Exact.parse('-1.005').toFixed(2)).toBe('-1.01');
    expect(Exact.of(1n, 3n).toFixed(4)).toBe('0.3333');
    expect(Exact.of(2n, 3n).toDecimalString(6)).toBe('0.666667');
    expect(Exact.parse('1.2300').toDecimalString()).toBe('1.23');
    expect(() => Exact.parse('1e5')).toThrow(RangeError);
    expect(() => Exact.parse('0.12345', 4)).toThrow(/more than 4/);
  });

  it('round-trips any 4-place decimal, and rounding half-up is within half a unit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (n, d) => {
        const x = Exact.of(n, 10_000n);
        expect(Exact.parse(x.toFixed(4)).eq(x)).toBe(true);
        const q = Exact.of(n, d);
        const r = q.roundHalfUp(2);
        const diff = r.sub(q);
        expect(diff.cmp(Exact.of(1n, 200n))).toBeLessThanOrEqual(0);
        expect(diff.cmp(Exact.of(-1n, 200n))).toBeGreaterThan(0 - (q.sign() < 0 ? 1 : 0));
      }),
    );
  });
});
