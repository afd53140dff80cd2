import { dayWindow as zonedDayWindow, previousLocalDate } from '@evcs/platform';
import type { DayWindow } from './ports';

/** The business day `date` (YYYY-MM-DD) in an IANA zone, as UTC instants [from, to). */
export const dayWindow = (date: string, timezone: string): DayWindow => zonedDayWindow(date, timezone);

/** Yesterday in `timezone` as YYYY-MM-DD: the day a nightly run reconciles. */
export const yesterday = (now: Date, timezone: string): string => previousLocalDate(now, timezone);

/** Longest span of local days one statistics read covers (a quarter and a bit). */
export const MAX_STATISTICS_DAYS = 93;

/**
 * The local days `fromDate`..`toDate` (inclusive, YYYY-MM-DD) in an IANA zone, as UTC instants
 * [from, to); null when the days are not real, out of order or span more than MAX_STATISTICS_DAYS.
 */
export function daysWindow(fromDate: string, toDate: string, timezone: string): DayWindow | null {
  let first: DayWindow, last: DayWindow;
  try {
    first = dayWindow(fromDate, timezone);
    last = dayWindow(toDate, timezone);
  } catch {
    return null;
  }
  if (last.from < first.from) return null;
  // whole days apart, whatever the DST changes in between (they move an instant by at most a few hours)
  const days = Math.round((last.from.getTime() - first.from.getTime()) / 86_400_000) + 1;
  return days > MAX_STATISTICS_DAYS ? null : { from: first.from, to: last.to };
}
