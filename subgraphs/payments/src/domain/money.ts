/**
 * Money is integer fen (分) everywhere inside the service. Channels that speak
 * yuan strings convert exactly at their edge with these two functions.
 */
export type Fen = number;


/** 1234 → "12.34"; exact, no floating point. */
export function fenToYuan(fen: Fen): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

/** "12.34" / "12.3" / "12" → 1234; null when it is not a yuan amount with at most two decimals. */
export function yuanToFen(s: string): Fen | null {
  const m = /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/.exec(s.trim());
  if (!m) return null;
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}
