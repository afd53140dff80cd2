/**
 * What the dashboard and a station's page show of orderStatistics: always the days of a named
 * IANA zone (the API is asked for local days of it, and buckets are labelled on its clock, never
 * on the browser's), and money only as the API formatted it.
 */

/**
 * The zone of "today" on the dashboard: the platform's business zone (stations default to it);
 * a station's page uses the station's own zone instead.
 */
export const BUSINESS_TIMEZONE = 'Asia/Shanghai';

/** The local day (YYYY-MM-DD) an instant falls on in `timeZone`. */
export function localDate(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The local hour (00–23) an instant falls in, in `timeZone`. */
export function localHour(at: Date, timeZone: string): string {
  const h = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(at);
  return h.padStart(2, '0');
}

export interface Bucket {
  start: string;
  sessions: number;
  energy: { kwh: string };
}

export interface HourlyTrend {
  hours: string[];
  sessions: number[];
  /** kWh for the chart's axis only (a display scale, never summed or billed) */
  energyKwh: number[];
}

/**
 * A local day's 24 hours (00..23 on the zone's clock) with the API's buckets in them; the API
 * leaves out hours without sessions. On a DST day an hour that happens twice shows both in one.
 */
export function hourlyTrend(buckets: readonly Bucket[], timeZone: string): HourlyTrend {
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));
  const sessions = hours.map(() => 0);
  const energyKwh = hours.map(() => 0);
  for (const b of buckets) {
    const i = hours.indexOf(localHour(new Date(b.start), timeZone));
    if (i < 0) continue;
    sessions[i] += b.sessions;
    energyKwh[i] += Number(b.energy.kwh);
  }
  return { hours: hours.map((h) => `${h}:00`), sessions, energyKwh };
}

/** Revenue as the API formatted it, one amount per currency ("12.34 CNY"); '0' when nothing was billed. */
export function revenueText(revenue: readonly { formatted: string; currency: string }[]): string {
  return revenue.length ? revenue.map((m) => `${m.formatted} ${m.currency}`).join(' + ') : '0';
}

/** An instant on the wall clock of `timeZone`, with the zone named ("2026-12-03 22:42:32 Asia/Shanghai"); '—' for none. */
export function formatInZone(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${timeZone}`;
}
