/**
 * YKC transaction serials as the protocol document lays them out: 32 digits,
 * pile number (14) + gun (2) + yyMMddHHmmss (12, the station's wall clock) +
 * counter (4). The platform issues them; the counter keeps them unique per
 * pile and gun within one second (the caller holds the connector's lock while
 * it picks the next one).
 */

/** The time zone used when a charger's station names none (YKC piles run on China time). */
export const YKC_DEFAULT_TIMEZONE = 'Asia/Shanghai';

const PILE_NO = /^\d{14}$/;

/** "yyMMddHHmmss" of `at` on the wall clock of `timezone` (IANA). */
export function wallClockStamp(at: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    year: '2-digit',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}${get('month')}${get('day')}${get('hour')}${get('minute')}${get('second')}`;
}

/** The first 28 digits of a serial: pile, gun and second; null if the pile number or gun can't be one. */
export function ykcSerialPrefix(pileNo: string, gun: number, at: Date, timezone: string): string | null {
  if (!PILE_NO.test(pileNo) || !Number.isInteger(gun) || gun < 1 || gun > 99) return null;
  return `${pileNo}${String(gun).padStart(2, '0')}${wallClockStamp(at, timezone)}`;
}

export const YKC_SERIAL_COUNTER_MAX = 9999;

export function ykcSerial(prefix: string, counter: number): string {
  if (!Number.isInteger(counter) || counter < 1 || counter > YKC_SERIAL_COUNTER_MAX) throw new RangeError(`serial counter out of range: ${counter}`);
  return `${prefix}${String(counter).padStart(4, '0')}`;
}
