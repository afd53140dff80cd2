/**
 * Energy, one way for every service: an exact decimal number of watt-hours
 * (meters count whole Wh; the tariffs engine's shares of a session are exact
 * fractions of them), with kWh beside it for people. Never a float.
 */
export interface Energy {
  /** Wh, exact decimal string: "12345", "1234.5" */
  readonly wh: string;
  /** the same in kWh, exact, at least 3 decimals: "12.345", "1.2345" */
  readonly kwh: string;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** From Wh, a safe integer or an exact decimal string. */
export function energyFromWh(wh: number | string): Energy {
  if (typeof wh === 'number' && !Number.isSafeInteger(wh)) throw new RangeError(`not a whole number of Wh: ${wh}`);
  const m = DECIMAL.exec(String(wh));
  if (!m) throw new RangeError(`not a decimal number of Wh: "${wh}"`);
  const [, sign = '', intRaw, frac = ''] = m;
  const int = intRaw.replace(/^0+(?=\d)/, '');
  const trimmed = frac.replace(/0+$/, '');
  const isZero = /^0*$/.test(int + trimmed);
  const s = isZero ? '' : sign;
  const digits = int.padStart(4, '0');
  const kInt = digits.slice(0, -3).replace(/^0+(?=\d)/, '');
  const kwh = `${s}${kInt}.${digits.slice(-3)}${trimmed}`;
  return { wh: `${s}${int}${trimmed ? `.${trimmed}` : ''}`, kwh };
}

/** From kWh as an exact decimal string (how YKC piles report energy: "1.2345"). */
export function energyFromKwh(kwh: string): Energy {
  const m = DECIMAL.exec(kwh);
  if (!m) throw new RangeError(`not a decimal number of kWh: "${kwh}"`);
  const [, sign = '', int, frac = ''] = m;
  const f = frac.padEnd(3, '0');
  return energyFromWh(`${sign}${int}${f.slice(0, 3)}${f.length > 3 ? `.${f.slice(3)}` : ''}`);
}
