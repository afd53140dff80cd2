/**
 * The tariff editor's logic, free of Vue and of the API: a day is 96 quarter-hours (slot k is
 * [k×15 min, (k+1)×15 min) of the plan's local day) and a plan version is a list of segments
 * that must cover every slot exactly once. Prices stay decimal strings; arithmetic on them is
 * on integers of 1/10^4 (the API's 4 places), never floats.
 */

export const SLOT_MINUTES = 15;
export const SLOTS = (24 * 60) / SLOT_MINUTES; // 96
/** Decimal places of a price per kWh, as the API keeps them. */
export const PRICE_SCALE = 4;

/** A segment as the API carries it: "HH:MM" clock times, decimal-string prices per kWh. */
export interface Segment {
  start: string;
  end: string;
  energyPrice: string;
  serviceFee: string;
}

export type Prices = Pick<Segment, 'energyPrice' | 'serviceFee'>;

/** A half-open range of slots [from, to), 0 ≤ from < to ≤ 96. */
export interface SlotRange {
  from: number;
  to: number;
}

const CLOCK = /^(\d{2}):(\d{2})$/;
const PRICE = new RegExp(`^\\d{1,6}(?:\\.\\d{1,${PRICE_SCALE}})?$`);

/** The slot a clock time starts, or null when it is not HH:MM on a quarter-hour ("24:00" is 96). */
export function clockToSlot(clock: string): number | null {
  const m = CLOCK.exec(clock);
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || minutes > 24 * 60 || minutes % SLOT_MINUTES !== 0) return null;
  return minutes / SLOT_MINUTES;
}

/** "HH:MM" of a slot boundary (96 → "24:00"). */
export function slotToClock(slot: number): string {
  const minutes = slot * SLOT_MINUTES;
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The slots a segment covers, in order from its start; one crossing midnight (22:00–06:00) wraps. Null when its times are malformed or empty. */
export function slotsOf(seg: Pick<Segment, 'start' | 'end'>): number[] | null {
  const start = clockToSlot(seg.start);
  let end = clockToSlot(seg.end);
  if (start === null || end === null || start === SLOTS) return null;
  if (end === 0) end = SLOTS; // "00:00" as an end is midnight
  if (end === start) return null;
  const length = end > start ? end - start : end + SLOTS - start;
  return Array.from({ length }, (_, i) => (start + i) % SLOTS);
}

export const isPrice = (s: string): boolean => PRICE.test(s.trim());

/** A price as an integer of 1/10^4 (what the colour scale and sums use). */
export function priceUnits(s: string): number {
  const [whole, frac = ''] = s.trim().split('.');
  return Number(whole) * 10 ** PRICE_SCALE + Number(frac.padEnd(PRICE_SCALE, '0'));
}

/** Integer 1/10^4 units as a 4-place decimal string. */
export function formatUnits(units: number): string {
  const digits = String(units).padStart(PRICE_SCALE + 1, '0');
  return `${digits.slice(0, -PRICE_SCALE)}.${digits.slice(-PRICE_SCALE)}`;
}

/** Energy price + service fee: what a kWh costs in the segment, exactly. */
export const totalPrice = (p: Prices): string => formatUnits(priceUnits(p.energyPrice) + priceUnits(p.serviceFee));

/** A price normalised to the API's 4 places ("0.8" → "0.8000"). */
export const normalisePrice = (s: string): string => formatUnits(priceUnits(s));

// ------------------------------------------------------------------ coverage and validation

export type SlotState = 'ok' | 'gap' | 'overlap';

export interface Problem {
  kind: 'invalid' | 'overlap' | 'gap';
  range: SlotRange | null;
  /** 0-based indices of the segments concerned */
  segments: number[];
}

export interface Coverage {
  /** per slot, the segments covering it (in list order) */
  owners: number[][];
  state: SlotState[];
  problems: Problem[];
}

function runs(slots: boolean[]): SlotRange[] {
  const out: SlotRange[] = [];
  let from = -1;
  for (let s = 0; s <= SLOTS; s++) {
    const on = s < SLOTS && slots[s];
    if (on && from < 0) from = s;
    if (!on && from >= 0) {
      out.push({ from, to: s });
      from = -1;
    }
  }
  return out;
}

/**
 * Who covers each slot, and every problem where it is: malformed segments, each run of slots
 * covered twice (with the segments covering it) and each run covered by none. The API checks the
 * same on save; this shows it while editing.
 */
export function coverage(segments: readonly Segment[]): Coverage {
  const owners: number[][] = Array.from({ length: SLOTS }, () => []);
  const problems: Problem[] = [];
  segments.forEach((seg, i) => {
    const slots = slotsOf(seg);
    if (!slots || !isPrice(seg.energyPrice) || !isPrice(seg.serviceFee)) {
      problems.push({ kind: 'invalid', range: null, segments: [i] });
      return;
    }
    for (const s of slots) owners[s].push(i);
  });
  const state = owners.map((o): SlotState => (o.length === 0 ? 'gap' : o.length > 1 ? 'overlap' : 'ok'));
  for (const range of runs(state.map((s) => s === 'overlap'))) {
    const concerned = new Set<number>();
    for (let s = range.from; s < range.to; s++) owners[s].forEach((i) => concerned.add(i));
    problems.push({ kind: 'overlap', range, segments: [...concerned].sort((a, b) => a - b) });
  }
  for (const range of runs(state.map((s) => s === 'gap'))) problems.push({ kind: 'gap', range, segments: [] });
  return { owners, state, problems };
}

export const isValid = (segments: readonly Segment[]): boolean => segments.length > 0 && coverage(segments).problems.length === 0;

// ------------------------------------------------------------------ editing

const samePrices = (a: Prices, b: Prices) => priceUnits(a.energyPrice) === priceUnits(b.energyPrice) && priceUnits(a.serviceFee) === priceUnits(b.serviceFee);

/** Consecutive slots (in a segment's own order) as segments of the given prices. */
function piecesOf(slots: number[], prices: Prices): Segment[] {
  const out: Segment[] = [];
  let first = 0;
  for (let i = 1; i <= slots.length; i++) {
    if (i === slots.length || slots[i] !== (slots[i - 1] + 1) % SLOTS) {
      const end = (slots[i - 1] + 1) % SLOTS;
      out.push({ start: slotToClock(slots[first]), end: slotToClock(end === 0 ? SLOTS : end), energyPrice: prices.energyPrice, serviceFee: prices.serviceFee });
      first = i;
    }
  }
  return out;
}

/**
 * The segments with the slots of `range` priced at `prices`: the range is cut out of every segment
 * it touches (leaving the pieces either side), added as one segment, and neighbours with equal
 * prices are joined. Problems outside the range (an overlap, a gap) are left where they are.
 * Malformed segments are kept as they are (the user is still typing them).
 */
export function applyRange(segments: readonly Segment[], range: SlotRange, prices: Prices): Segment[] {
  const inRange = (s: number) => s >= range.from && s < range.to;
  const kept: Segment[] = [];
  for (const seg of segments) {
    const slots = slotsOf(seg);
    if (!slots) kept.push(seg);
    else
      kept.push(
        ...piecesOf(
          slots.filter((s) => !inRange(s)),
          seg,
        ),
      );
  }
  const price = { energyPrice: normalisePrice(prices.energyPrice), serviceFee: normalisePrice(prices.serviceFee) };
  kept.push({ start: slotToClock(range.from), end: slotToClock(range.to), ...price });
  return joinNeighbours(sortSegments(kept));
}

/** Sorted by start (malformed ones last, in their order). */
export function sortSegments(segments: readonly Segment[]): Segment[] {
  const key = (s: Segment) => clockToSlot(s.start) ?? SLOTS + 1;
  return [...segments].sort((a, b) => key(a) - key(b));
}

/** Adjacent segments (one ends where the next starts) with the same prices, as one. */
export function joinNeighbours(sorted: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const seg of sorted) {
    const prev = out[out.length - 1];
    const prevEnd = prev ? clockToSlot(prev.end) : null;
    const start = clockToSlot(seg.start);
    const prevSlots = prev ? slotsOf(prev) : null;
    const wraps = prevSlots !== null && prevSlots[prevSlots.length - 1] < prevSlots[0];
    if (prev && prevSlots && !wraps && slotsOf(seg) && prevEnd === start && samePrices(prev, seg)) out[out.length - 1] = { ...prev, end: seg.end };
    else out.push(seg);
  }
  return out;
}

/** The segment in force at a slot (the first when several overlap), or null. */
export function segmentAt(segments: readonly Segment[], slot: number): number | null {
  return coverage(segments).owners[slot][0] ?? null;
}

// ------------------------------------------------------------------ drag selection

/** Dragging across the bar: from the slot where the pointer went down to the one it is over, either way. */
export class DragSelection {
  private anchor: number | null = null;
  private current = 0;

  start(slot: number): void {
    this.anchor = clampSlot(slot);
    this.current = this.anchor;
  }

  /** The pointer is over `slot`; ignored unless a drag is under way. */
  move(slot: number): void {
    if (this.anchor !== null) this.current = clampSlot(slot);
  }

  get active(): boolean {
    return this.anchor !== null;
  }

  /** The slots selected so far, or null when no drag is under way. */
  get range(): SlotRange | null {
    if (this.anchor === null) return null;
    return { from: Math.min(this.anchor, this.current), to: Math.max(this.anchor, this.current) + 1 };
  }

  /** The pointer went up: the range dragged across (at least the slot pressed). */
  end(): SlotRange | null {
    const r = this.range;
    this.anchor = null;
    return r;
  }
}

const clampSlot = (slot: number) => Math.max(0, Math.min(SLOTS - 1, Math.trunc(slot)));

// ------------------------------------------------------------------ colour scale

/** From cheap to dear; each dark enough that white text on it is legible (WCAG AA, 4.5:1). */
export const PALETTE = ['#17694a', '#6b6a00', '#9a5b00', '#b3261e', '#7a1e52'] as const;

/**
 * The colour of a price (energy + service) among the plan's prices: the cheapest gets the
 * first colour, the dearest the last, the others by where they fall between (equal prices, one colour).
 */
export function colourScale(segments: readonly Prices[]): (p: Prices) => string {
  const totals = segments.filter((s) => isPrice(s.energyPrice) && isPrice(s.serviceFee)).map((s) => priceUnits(totalPrice(s)));
  const min = Math.min(...totals);
  const max = Math.max(...totals);
  return (p) => {
    if (!isPrice(p.energyPrice) || !isPrice(p.serviceFee) || totals.length === 0 || max === min) return PALETTE[0];
    const at = priceUnits(totalPrice(p));
    const step = Math.round(((at - min) * (PALETTE.length - 1)) / (max - min));
    return PALETTE[Math.max(0, Math.min(PALETTE.length - 1, step))];
  };
}

// ------------------------------------------------------------------ sample sessions

/** kWh typed by a person ("12.5") as exact Wh ("12500"), or null when it is not a positive amount (at most 3 decimals). */
export function kwhToWh(kwh: string): string | null {
  const m = /^(\d{1,6})(?:\.(\d{1,3}))?$/.exec(kwh.trim());
  if (!m) return null;
  const wh = String(Number(`${m[1]}${(m[2] ?? '').padEnd(3, '0')}`));
  return wh === '0' ? null : wh;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in ms. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
    .formatToParts(new Date(instant))
    .reduce<Record<string, number>>((acc, p) => (p.type === 'literal' ? acc : { ...acc, [p.type]: Number(p.value) }), {});
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - Math.floor(instant / 1000) * 1000;
}

/** The instant at which `timeZone`'s wall clock shows `minutes` past midnight on the local day of `day` (a YYYY-MM-DD). */
export function zonedInstant(day: string, minutes: number, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  const guess = wall - zoneOffset(wall, timeZone);
  // once more, in case the offset at the guess differs (a DST change in between)
  return new Date(wall - zoneOffset(guess, timeZone));
}

/** Today's date (YYYY-MM-DD) on `timeZone`'s wall clock. */
export function localDay(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
