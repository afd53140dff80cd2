import { zoneOffsetMs } from '@evcs/platform';

/**
 * UTC instant → wall-clock minute of the day in an IANA zone, through the platform's
 * zone arithmetic, so DST-free zones (Asia/Shanghai) and DST zones (Europe/Berlin)
 * are handled by the same code.
 *
 * Pricing walks a session in UTC quarter-hours. That is exact as long as a zone's
 * UTC offset is a multiple of 15 minutes and changes only at UTC quarter-hours —
 * true of every zone in the tz database since well before 2000 (+05:45 Nepal and
 * +12:45 Chatham included). Sessions before 2000-01-01 are refused upstream.
 */
export const QUARTER_MS = 15 * 60_000;
const DAY_MS = 86_400_000;

/** Offsets are memoised per zone and UTC quarter; bounded so a long-lived process doesn't grow without limit. */
const offsetCache = new Map<string, number>();
const OFFSET_CACHE_MAX = 200_000;

/** The zone's UTC offset (ms) at a UTC instant that is on a quarter-hour. */
export function offsetAt(tz: string, quarterStartMs: number): number {
  const key = `${tz}|${quarterStartMs}`;
  const hit = offsetCache.get(key);
  if (hit !== undefined) return hit;
  const offset = zoneOffsetMs(tz, quarterStartMs);
  if (offsetCache.size >= OFFSET_CACHE_MAX) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/** Index (0–95) of the local 15-minute slot of the day that the UTC quarter starting at `quarterStartMs` falls in. */
export function localSlotOf(tz: string, quarterStartMs: number): number {
  const local = quarterStartMs + offsetAt(tz, quarterStartMs);
  const msOfDay = ((local % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.floor(msOfDay / QUARTER_MS);
}

export const floorToQuarter = (ms: number): number => Math.floor(ms / QUARTER_MS) * QUARTER_MS;
