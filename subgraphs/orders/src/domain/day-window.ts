import { DateTime } from 'luxon';
import type { DayWindow } from './reconciliation';

/** The business day `date` (YYYY-MM-DD) in an IANA zone, as UTC instants [from, to). DST days are 23 or 25 hours long. */
export function dayWindow(date: string, timezone: string): DayWindow {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not a date: ${date}`);
  const start = DateTime.fromISO(date, { zone: timezone });
  if (!start.isValid) throw new RangeError(`not a valid date in ${timezone}: ${date} (${start.invalidExplanation ?? start.invalidReason})`);
  return { from: start.startOf('day').toJSDate(), to: start.startOf('day').plus({ days: 1 }).toJSDate() };
}

/** Yesterday in `timezone` as YYYY-MM-DD: the day a nightly run reconciles. */
export function yesterday(now: Date, timezone: string): string {
  return DateTime.fromJSDate(now, { zone: timezone }).minus({ days: 1 }).toISODate()!;
}

export const isTimeZone = (tz: string): boolean => DateTime.local().setZone(tz).isValid;
