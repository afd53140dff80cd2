/**
 * Yuan as decimal strings with 2 places ("13.14") and fen as integers (1314):
 * the two forms money takes here and on the wire. Exact, never floats.
 */
export function yuanToFen(yuan: string): number {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(yuan);
  if (!m) throw new RangeError(`not an amount in yuan with at most 2 decimals: ${yuan}`);
  const fen = BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
  if (fen > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount too large: ${yuan}`);
  return Number(fen);
}

export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not an amount in fen: ${fen}`);
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** A non-negative decimal string (any number of places) in 10^-4 units, half-up: "1.23456" → 12346n. */
export function toX1e4(amount: string): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!m) throw new RangeError(`not a non-negative decimal: ${amount}`);
  const frac = (m[2] ?? '').padEnd(5, '0');
  const v = BigInt(m[1]) * 10_000n + BigInt(frac.slice(0, 4));
  return Number(frac[4]) >= 5 ? v + 1n : v;
}
