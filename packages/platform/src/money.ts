/**
 * Money, one way for every service: integer minor units of an ISO 4217
 * currency. Never a float; decimal strings are parsed and printed digit by
 * digit.
 *
 * Why `number` and not `bigint` for the minor units: every amount the platform
 * handles (a session, a payment, a refund, a day's totals) is far inside
 * Number.MAX_SAFE_INTEGER (9 007 199 254 740 991 fen ≈ 90 trillion yuan); the
 * database driver, JSON, the event contracts (`minorAmount`) and GraphQL all
 * carry numbers, and a bigint would need a conversion at each of those edges.
 * Every constructor and operation checks that the result is a safe integer, so
 * an overflow is an error, never a silently rounded amount.
 *
 * Rounding, where an exact amount has more decimals than the currency (the
 * tariffs engine's exact totals, a YKC pile's 4-decimal yuan): half-up, i.e.
 * half away from zero (四舍五入, 22.805 → 22.81, -0.005 → -0.01). That is how
 * Chinese retail bills round and what the tariffs engine always did; banker's
 * rounding is not used anywhere in the platform.
 */

/** Minor-unit exponents (ISO 4217) of the currencies the platform accepts. */
const EXPONENTS: Readonly<Record<string, number>> = {
  CNY: 2,
  HKD: 2,
  MOP: 2,
  TWD: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  SGD: 2,
  JPY: 0,
  KRW: 0,
  BHD: 3,
  KWD: 3,
  JOD: 3,
};

export interface Money {
  /** integer minor units (fen for CNY), a safe integer; may be negative (a difference) */
  readonly minor: number;
  /** ISO 4217 code, upper case */
  readonly currency: string;
}

export type Rounding = 'HALF_UP' | 'EXACT';

export function isCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(EXPONENTS, code);
}

/** The currency's minor-unit exponent (CNY 2, JPY 0, KWD 3); throws for a currency the platform does not know. */
export function currencyExponent(currency: string): number {
  if (!isCurrency(currency)) throw new RangeError(`unknown currency: ${currency}`);
  return EXPONENTS[currency];
}

export function money(minor: number | bigint, currency: string): Money {
  currencyExponent(currency);
  if (typeof minor === 'bigint') {
    if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < -BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount out of range: ${minor} ${currency}`);
    return { minor: Number(minor), currency };
  }
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not a safe integer amount in minor units: ${minor} ${currency}`);
  // -0 would print as "0.00" but compare oddly with Object.is; normalise it
  return { minor: minor === 0 ? 0 : minor, currency };
}

export const zeroMoney = (currency: string): Money => money(0, currency);

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/**
 * A plain decimal string ("12.34", "-0.5", "7") in major units → Money.
 * `EXACT` (the default) refuses more decimals than the currency has; `HALF_UP`
 * rounds them (half away from zero). No exponent, grouping or whitespace.
 */
export function parseMoney(decimal: string, currency: string, rounding: Rounding = 'EXACT'): Money {
  const exp = currencyExponent(currency);
  const m = DECIMAL.exec(decimal);
  if (!m) throw new RangeError(`not a decimal amount: "${decimal}"`);
  const [, sign, int, frac = ''] = m;
  if (frac.length > exp && rounding === 'EXACT') throw new RangeError(`"${decimal}" has more than ${exp} decimal places for ${currency}`);
  let minor = BigInt(int + frac.slice(0, exp).padEnd(exp, '0'));
  if (frac.length > exp && Number(frac[exp]) >= 5) minor += 1n;
  return money(sign === '-' ? -minor : minor, currency);
}

/** Like parseMoney, null instead of an error (for amounts read from outside: notifications, statements). */
export function tryParseMoney(decimal: string, currency: string): Money | null {
  try {
    return parseMoney(decimal, currency);
  } catch {
    return null;
  }
}

/** Major units with exactly the currency's decimals: 1234 CNY → "12.34", -5 → "-0.05", 1234 JPY → "1234", 1234 KWD → "1.234". */
export function formatMoney(m: Money): string {
  const exp = currencyExponent(m.currency);
  const digits = String(Math.abs(m.minor)).padStart(exp + 1, '0');
  const int = digits.slice(0, digits.length - exp);
  const sign = m.minor < 0 ? '-' : '';
  return exp === 0 ? `${sign}${int}` : `${sign}${int}.${digits.slice(digits.length - exp)}`;
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new RangeError(`currencies differ: ${a.currency} and ${b.currency}`);
}

export function addMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.minor + b.minor, a.currency);
}

export function subtractMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.minor - b.minor, a.currency);
}

export function sumMoney(xs: Iterable<Money>, currency: string): Money {
  let acc = zeroMoney(currency);
  for (const x of xs) acc = addMoney(acc, x);
  return acc;
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b);
  return a.minor < b.minor ? -1 : a.minor > b.minor ? 1 : 0;
}

export const moneyEquals = (a: Money, b: Money): boolean => a.currency === b.currency && a.minor === b.minor;

/**
 * Round an exact rational amount (numerator / denominator, in major units) to
 * the currency's minor units, half-up. For exact engines (tariffs' `Exact`)
 * that must hand their results out as Money.
 */
export function moneyFromRational(numerator: bigint, denominator: bigint, currency: string): Money {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const f = 10n ** BigInt(currencyExponent(currency));
  const abs = numerator < 0n ? -numerator : numerator;
  const scaled = abs * f;
  let q = scaled / denominator;
  if (2n * (scaled % denominator) >= denominator) q += 1n;
  return money(numerator < 0n ? -q : q, currency);
}
