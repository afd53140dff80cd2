import { dayWindow as zonedDayWindow, previousLocalDate } from '@evcs/platform';
import type { DayWindow } from './ports';

/** The business day `date` (YYYY-MM-DD) in an IANA zone, as UTC instants [from, to). */
export const dayWindow = (date: string, timezone: string): DayWindow => zonedDayWindow(date, timezone);

/** Yesterday in `timezone` as YYYY-MM-DD: the day a nightly run reconciles. */
export const yesterday = (now: Date, timezone: string): string => previousLocalDate(now, timezone);
