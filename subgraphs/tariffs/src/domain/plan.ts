import { defineCodes, isCurrency, isTimeZone, type UserError } from '@evcs/platform';
import { Exact } from './exact';

/**
 * Time-of-use tariff plans. A plan version is a list of segments on 15-minute
 * boundaries of the local day (in the plan's timezone) that together cover the
 * whole day exactly once. Segments may cross midnight (22:00–06:00); "24:00" is
 * a valid end (and "00:00" as an end means the same midnight).
 */

export const SLOT_MINUTES = 15;
export const SLOTS_PER_DAY = (24 * 60) / SLOT_MINUTES; // 96
export const MAX_SEGMENTS = SLOTS_PER_DAY;
/** Prices per kWh have at most this many decimal places. */
export const PRICE_SCALE = 4;
const MAX_PRICE = Exact.int(100_000);

/** A segment as the API and the database carry it: wall-clock strings and decimal strings. */
export interface SegmentInput {
  start: string;
  end: string;
  energyPrice: string;
  serviceFee: string;
}

/** A validated segment. Minutes of the local day: 0 ≤ startMin < 1440, 0 < endMin ≤ 1440, startMin ≠ endMin. */
export interface Segment {
  start: string;
  end: string;
  startMin: number;
  endMin: number;
  /** per kWh, in the plan's currency */
  energyPrice: Exact;
  /** per kWh, in the plan's currency */
  serviceFee: Exact;
}

export type { UserError } from '@evcs/platform';

export const PlanErrorCodes = defineCodes({
  INVALID_SEGMENT: 'A segment is malformed: times not HH:MM on a 15-minute boundary, a negative or malformed price; the field names it.',
  SEGMENT_OVERLAP: 'Two segments cover the same time of day.',
  SEGMENTS_INCOMPLETE: 'The segments leave part of the day uncovered (they must cover 00:00–24:00).',
  TOO_MANY_SEGMENTS: 'More segments than a plan may have.',
  INVALID_CURRENCY: 'Not an ISO 4217 currency the platform knows.',
  INVALID_TIMEZONE: 'Not an IANA time zone.',
});

const HHMM = /^(\d{2}):(\d{2})$/;

function parseClock(s: string, role: 'start' | 'end'): number | string {
  const m = HHMM.exec(s);
  if (!m) return `${role} "${s}" is not HH:MM`;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return `${role} "${s}" is not a time of day`;
  if (min % SLOT_MINUTES !== 0) return `${role} ${s} is not on a 15-minute boundary`;
  const total = h * 60 + min;
  if (role === 'start' && total === 1440) return 'start 24:00 is not a start of anything; use 00:00';
  return total;
}

export const formatClock = (min: number): string => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/** "segment 4 (18:00–24:00)": how messages name a segment (1-based, as a person counts). */
export const describeSegment = (i: number, s: { start: string; end: string }): string => `segment ${i + 1} (${s.start}–${s.end})`;

/** The 15-minute slots of the day a segment covers, in order from its start. */
export function slotsOf(seg: Pick<Segment, 'startMin' | 'endMin'>): number[] {
  const out: number[] = [];
  const first = seg.startMin / SLOT_MINUTES;
  const end = seg.endMin > seg.startMin ? seg.endMin : seg.endMin + 1440;
  for (let s = first; s < end / SLOT_MINUTES; s++) out.push(s % SLOTS_PER_DAY);
  return out;
}

function checkPrice(value: string, what: string): Exact | string {
  if (typeof value !== 'string' || !Exact.isDecimal(value)) return `${what} "${value}" is not a decimal number`;
  if (!Exact.isDecimal(value, PRICE_SCALE)) return `${what} ${value} has more than ${PRICE_SCALE} decimal places`;
  const v = Exact.parse(value);
  if (v.sign() < 0) return `${what} ${value} is negative`;
  if (v.cmp(MAX_PRICE) >= 0) return `${what} ${value} is implausibly large`;
  return v;
}

/**
 * Validate a version's segments. Every problem is reported (not only the
 * first), each naming the segment it concerns by number and times. On success
 * the segments come back sorted by start.
 */
export function validateSegments(input: readonly SegmentInput[], field = 'segments'): { ok: true; segments: Segment[] } | { ok: false; errors: UserError[] } {
  const errors: UserError[] = [];
  if (input.length === 0) return { ok: false, errors: [{ code: PlanErrorCodes.SEGMENTS_INCOMPLETE, field, message: 'a plan needs at least one segment' }] };
  if (input.length > MAX_SEGMENTS) {
    return {
      ok: false,
      errors: [{ code: PlanErrorCodes.TOO_MANY_SEGMENTS, field, message: `a plan has at most ${MAX_SEGMENTS} segments; got ${input.length}` }],
    };
  }
  const parsed: (Segment | null)[] = input.map((s, i) => {
    const name = describeSegment(i, s);
    const problems: string[] = [];
    const start = parseClock(s.start, 'start');
    let end = parseClock(s.end, 'end');
    if (typeof end === 'number' && end === 0) end = 1440; // "00:00" as an end is midnight
    if (typeof start === 'string') problems.push(start);
    if (typeof end === 'string') problems.push(end);
    if (typeof start === 'number' && typeof end === 'number' && start === end) problems.push('is empty (start equals end); a whole day is 00:00–24:00');
    const energyPrice = checkPrice(s.energyPrice, 'energy price');
    const serviceFee = checkPrice(s.serviceFee, 'service fee');
    if (typeof energyPrice === 'string') problems.push(energyPrice);
    if (typeof serviceFee === 'string') problems.push(serviceFee);
    if (problems.length > 0) {
      errors.push({ code: PlanErrorCodes.INVALID_SEGMENT, field: `${field}[${i}]`, message: `${name}: ${problems.join('; ')}` });
      return null;
    }
    return { start: s.start, end: s.end, startMin: start as number, endMin: end as number, energyPrice: energyPrice as Exact, serviceFee: serviceFee as Exact };
  });
  if (errors.length > 0) return { ok: false, errors };
  const segs = parsed as Segment[];

  const owner = new Array<number>(SLOTS_PER_DAY).fill(-1);
  const reported = new Set<string>();
  segs.forEach((seg, i) => {
    for (const slot of slotsOf(seg)) {
      const j = owner[slot];
      if (j === -1) {
        owner[slot] = i;
        continue;
      }
      const key = `${j}:${i}`;
      if (reported.has(key)) continue;
      reported.add(key);
      errors.push({
        code: PlanErrorCodes.SEGMENT_OVERLAP,
        field: `${field}[${i}]`,
        message: `${describeSegment(i, input[i])} overlaps ${describeSegment(j, input[j])} at ${formatClock(slot * SLOT_MINUTES)}`,
      });
    }
  });
  const gaps = uncoveredRanges(owner);
  if (gaps.length > 0) {
    errors.push({
      code: PlanErrorCodes.SEGMENTS_INCOMPLETE,
      field,
      message: `segments must cover the whole day; uncovered: ${gaps.map(([a, b]) => `${formatClock(a)}–${formatClock(b)}`).join(', ')}`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, segments: [...segs].sort((a, b) => a.startMin - b.startMin) };
}

function uncoveredRanges(owner: number[]): [number, number][] {
  const out: [number, number][] = [];
  let from = -1;
  for (let s = 0; s <= SLOTS_PER_DAY; s++) {
    const free = s < SLOTS_PER_DAY && owner[s] === -1;
    if (free && from < 0) from = s;
    if (!free && from >= 0) {
      out.push([from * SLOT_MINUTES, s * SLOT_MINUTES]);
      from = -1;
    }
  }
  return out;
}

/** For each 15-minute slot of the local day, the index of the segment in force. */
export function slotTable(segments: readonly Segment[]): Int16Array {
  const t = new Int16Array(SLOTS_PER_DAY).fill(-1);
  segments.forEach((seg, i) => {
    for (const s of slotsOf(seg)) t[s] = i;
  });
  for (let s = 0; s < SLOTS_PER_DAY; s++) if (t[s] < 0) throw new Error(`slot ${s} uncovered: segments were not validated`);
  return t;
}

/** An ISO 4217 currency the platform's money knows (its minor unit rounds the totals). The plan's one currency. */
export function validateCurrency(currency: string, field = 'currency'): UserError | null {
  return isCurrency(currency)
    ? null
    : { code: PlanErrorCodes.INVALID_CURRENCY, field, message: `currency "${currency}" is not an ISO 4217 code the platform supports` };
}

/** An IANA timezone this runtime knows (the platform's zone check). */
export function validateTimezone(tz: string, field = 'timezone'): UserError | null {
  return isTimeZone(tz) ? null : { code: PlanErrorCodes.INVALID_TIMEZONE, field, message: `"${tz}" is not an IANA timezone name` };
}

/** Stored/serialised form of a segment: prices as 4-place decimal strings. */
export const segmentToRecord = (s: Segment): SegmentInput => ({
  start: s.start,
  end: s.end,
  energyPrice: s.energyPrice.toFixed(PRICE_SCALE),
  serviceFee: s.serviceFee.toFixed(PRICE_SCALE),
});

/** Trusted re-read of stored segments (validated when written); throws if they no longer validate. */
export function segmentsFromRecords(records: readonly SegmentInput[]): Segment[] {
  const v = validateSegments(records);
  if (!v.ok) throw new Error(`stored segments are invalid: ${v.errors.map((e) => e.message).join('; ')}`);
  return v.segments;
}

/** One immutable version of a plan, as pricing sees it. */
export interface PlanVersion {
  version: number;
  /** UTC instant from which this version is in force */
  effectiveFrom: Date;
  segments: Segment[];
}

/** What pricing needs of a plan: its zone, currency and versions. */
export interface PricedPlan {
  id: string;
  currency: string;
  /** IANA zone whose wall clock the segments are in (the station's) */
  timezone: string;
  /** sorted by version; effectiveFrom non-decreasing */
  versions: PlanVersion[];
}

/**
 * The version in force at `at`: the latest whose effectiveFrom ≤ at (the higher
 * number on a tie). Before the first version's effectiveFrom the first version
 * applies — a plan created (or bound) while a session runs prices that whole
 * session rather than leaving a hole in it. `versions` are sorted by number,
 * which (see the service's effectiveFrom rule) is also time order.
 */
export function versionAt<V extends { effectiveFrom: Date }>(versions: readonly V[], at: number): V {
  if (versions.length === 0) throw new Error('plan has no versions');
  if (versions[0].effectiveFrom.getTime() > at) return versions[0];
  let lo = 0;
  let hi = versions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (versions[mid].effectiveFrom.getTime() <= at) lo = mid;
    else hi = mid - 1;
  }
  return versions[lo];
}
