/**
 * A pile's bill (YKC 0x3B: yuan with 4 decimals) is compared with the
 * platform's exact total, below the minor unit Money counts in; this is that
 * one comparison's scale. Amounts themselves are platform Money.
 */

/** A non-negative decimal string (any number of places) in 10^-4 units, half-up: "1.23456" → 12346n. */
export function toX1e4(amount: string): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!m) throw new RangeError(`not a non-negative decimal: ${amount}`);
  const frac = (m[2] ?? '').padEnd(5, '0');
  const v = BigInt(m[1]) * 10_000n + BigInt(frac.slice(0, 4));
  return Number(frac[4]) >= 5 ? v + 1n : v;
}
