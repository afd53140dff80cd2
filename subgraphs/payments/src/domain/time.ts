/** Asia/Shanghai is UTC+8 all year (no daylight saving): the zone both channels use. */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** "yyyy-MM-dd HH:mm:ss" in Asia/Shanghai (Alipay) → instant; null when malformed. */
export function parseShanghaiDateTime(s: string | undefined): Date | null {
  if (!s || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s)) return null;
  const d = new Date(`${s.replace(' ', 'T')}+08:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatShanghaiDateTime(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().replace('T', ' ').slice(0, 19);
}

/** The Asia/Shanghai calendar day of an instant: statements are per such day. */
export function shanghaiDate(d: Date): string {
  return formatShanghaiDateTime(d).slice(0, 10);
}

/** [start, end) of an Asia/Shanghai calendar day (yyyy-MM-dd) as instants. */
export function shanghaiDayRange(date: string): { from: Date; to: Date } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError('date must be yyyy-MM-dd');
  const from = new Date(`${date}T00:00:00+08:00`);
  if (Number.isNaN(from.getTime())) throw new RangeError('date must be a real calendar day');
  return { from, to: new Date(from.getTime() + 24 * 3600_000) };
}
