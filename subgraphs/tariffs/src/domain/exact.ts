/**
 * An exact rational number on BigInt: the value type for money, prices and
 * energy in the tariffs domain. No JS float ever takes part.
 *
 * Why rationals and not a fixed decimal scale: spreading a session's energy
 * evenly over its exact duration divides by the duration in milliseconds, which
 * has no finite decimal expansion in general (20 kWh over 7 200 001 ms). Keeping
 * the quotient exact is what lets the itemized parts sum to the total *exactly*
 * and lets the only rounding happen once, at the end.
 */
export class Exact {
  /** Always normalised: d > 0 and gcd(|n|, d) = 1. */
  private constructor(
    readonly n: bigint,
    readonly d: bigint,
  ) {}

  static readonly ZERO = new Exact(0n, 1n);
  static readonly ONE = new Exact(1n, 1n);

  static of(n: bigint, d: bigint = 1n): Exact {
    if (d === 0n) throw new RangeError('division by zero');
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    const g = gcd(n < 0n ? -n : n, d);
    return g === 1n ? new Exact(n, d) : new Exact(n / g, d / g);
  }

  static int(n: number | bigint): Exact {
    if (typeof n === 'number' && !Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${n}`);
    return new Exact(BigInt(n), 1n);
  }

  /**
   * Parse a plain decimal string ("0.68", "-12", "1234.5678"). No exponent, no
   * grouping. `maxScale` refuses more fractional digits than allowed.
   */
  static parse(s: string, maxScale?: number): Exact {
    const m = DECIMAL.exec(s.trim());
    if (!m) throw new RangeError(`not a decimal number: "${s}"`);
    const [, sign, int, frac = ''] = m;
    if (maxScale !== undefined && frac.length > maxScale) throw new RangeError(`"${s}" has more than ${maxScale} decimal places`);
    const n = BigInt(int + frac) * (sign === '-' ? -1n : 1n);
    return Exact.of(n, 10n ** BigInt(frac.length));
  }

  /** Whether `s` parses as a decimal with at most `maxScale` places. */
  static isDecimal(s: string, maxScale?: number): boolean {
    const m = DECIMAL.exec(s.trim());
    return !!m && (maxScale === undefined || (m[3] ?? '').length <= maxScale);
  }

  add(o: Exact): Exact {
    return this.d === o.d ? Exact.of(this.n + o.n, this.d) : Exact.of(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  sub(o: Exact): Exact {
    return this.add(o.neg());
  }
  mul(o: Exact): Exact {
    return Exact.of(this.n * o.n, this.d * o.d);
  }
  div(o: Exact): Exact {
    if (o.n === 0n) throw new RangeError('division by zero');
    return Exact.of(this.n * o.d, this.d * o.n);
  }
  neg(): Exact {
    return new Exact(-this.n, this.d);
  }
  cmp(o: Exact): -1 | 0 | 1 {
    const l = this.n * o.d;
    const r = o.n * this.d;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  eq(o: Exact): boolean {
    return this.n === o.n && this.d === o.d;
  }
  isZero(): boolean {
    return this.n === 0n;
  }
  sign(): -1 | 0 | 1 {
    return this.n < 0n ? -1 : this.n > 0n ? 1 : 0;
  }

  /** Whether the value has a finite decimal expansion with at most `scale` places. */
  hasScale(scale: number): boolean {
    return 10n ** BigInt(scale) % this.d === 0n;
  }

  /**
   * Round half-up (half away from zero) to `scale` decimal places. This is the
   * money rounding: 22.805 → 22.81, 0.004999… → 0.00.
   */
  roundHalfUp(scale: number): Exact {
    const f = 10n ** BigInt(scale);
    const abs = this.n < 0n ? -this.n : this.n;
    const scaled = abs * f;
    let q = scaled / this.d;
    const r = scaled % this.d;
    if (2n * r >= this.d) q += 1n;
    return Exact.of(this.n < 0n ? -q : q, f);
  }

  /** Decimal string with exactly `scale` places, rounded half-up. */
  toFixed(scale: number): string {
    const r = this.roundHalfUp(scale);
    const f = 10n ** BigInt(scale);
    const neg = r.n < 0n;
    const units = (neg ? -r.n : r.n) * (f / r.d);
    const int = units / f;
    const frac = (units % f).toString().padStart(scale, '0');
    return `${neg ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`;
  }

  /**
   * Shortest exact decimal string when the value has at most `maxScale` places;
   * otherwise rounded half-up to `maxScale` places.
   */
  toDecimalString(maxScale = 10): string {
    let scale = 0;
    while (scale < maxScale && !this.hasScale(scale)) scale++;
    return this.toFixed(scale);
  }

  toString(): string {
    return this.d === 1n ? this.n.toString() : `${this.n}/${this.d}`;
  }
}

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

export function sum(xs: Iterable<Exact>): Exact {
  let acc = Exact.ZERO;
  for (const x of xs) acc = acc.add(x);
  return acc;
}
