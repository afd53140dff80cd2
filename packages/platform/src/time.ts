import { DateTime, IANAZone } from 'luxon';

/*
 * The one place zone arithmetic is done (luxon over the runtime's ICU tz database).
 * Every function names its zone: nothing here falls back to the machine's zone or to a
 * fixed offset. Instants are Dates (UTC); local days are 'yyyy-MM-dd' strings.
 */

/** IANA names (Area/Location, or single names such as UTC); offsets like "+08:00" are not a site's zone. */
const IANA_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/** An IANA time zone this runtime knows (links such as Asia/Chongqing included). */
export function isTimeZone(tz: string): boolean {
  return IANA_SHAPE.test(tz) && IANAZone.isValidZone(tz);
}

function zone(tz: string): IANAZone {
  const z = IANAZone.create(tz);
  if (!isTimeZone(tz) || !z.isValid) throw new RangeError(`not an IANA time zone: ${tz}`);
  return z;
}

/** The zone's offset from UTC, in ms, at an instant. */
export function zoneOffsetMs(tz: string, atMs: number): number {
  return zone(tz).offset(atMs) * 60_000;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The calendar day `date` in `tz` as instants [from, to). DST days are 23 or 25 hours long. */
export function dayWindow(date: string, tz: string): { from: Date; to: Date } {
  if (!DAY.test(date)) throw new RangeError(`not a date (yyyy-MM-dd): ${date}`);
  const start = DateTime.fromISO(date, { zone: zone(tz) });
  if (!start.isValid) throw new RangeError(`not a real calendar day in ${tz}: ${date}`);
  return { from: start.startOf('day').toJSDate(), to: start.startOf('day').plus({ days: 1 }).toJSDate() };
}

/** The calendar day (yyyy-MM-dd) an instant falls on in `tz`. */
export function localDate(at: Date, tz: string): string {
  return DateTime.fromJSDate(at, { zone: zone(tz) }).toISODate()!;
}

/** The day before the one `now` falls on in `tz`: what a nightly job covers. */
export function previousLocalDate(now: Date, tz: string): string {
  return DateTime.fromJSDate(now, { zone: zone(tz) })
    .minus({ days: 1 })
    .toISODate()!;
}

/** An instant as local wall-clock text in `tz`, in a luxon format (default yyyy-MM-dd HH:mm:ss). */
export function formatLocal(at: Date, tz: string, format = 'yyyy-MM-dd HH:mm:ss'): string {
  return DateTime.fromJSDate(at, { zone: zone(tz) }).toFormat(format);
}

/** Local wall-clock text in `tz` (a luxon format, default yyyy-MM-dd HH:mm:ss) → the instant; null when malformed. */
export function parseLocal(text: string | undefined | null, tz: string, format = 'yyyy-MM-dd HH:mm:ss'): Date | null {
  if (!text) return null;
  const d = DateTime.fromFormat(text, format, { zone: zone(tz) });
  return d.isValid ? d.toJSDate() : null;
}
