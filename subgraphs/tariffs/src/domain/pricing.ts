import { AppError, currencyExponent, ErrorCodes, money, moneyFromRational, zeroMoney, type Money } from '@evcs/platform';
import { Exact, sum } from './exact';
import { floorToQuarter, localSlotOf, QUARTER_MS } from './local-time';
import { PlanVersion, PricedPlan, Segment, slotTable, versionAt } from './plan';

/**
 * The pricing engine: the cost of one charging session under one plan. Pure —
 * no I/O, no clock, no floats — so orders, tests and benchmarks call the same
 * function the `priceSession` query does.
 *
 * Rules:
 * - Energy with meter samples: the energy between two consecutive samples is
 *   spread evenly over the time between them. Without samples: the session's
 *   energy is spread evenly over its exact duration (milliseconds count).
 * - Each piece of time is priced at the segment of the version in force then,
 *   by the wall clock of the plan's zone. Versions change mid-session at their
 *   effectiveFrom (see docs/tariffs.md for why).
 * - Electricity and service fee are itemized per (version, segment); the parts
 *   are exact rationals that sum to the exact total; the total is rounded once,
 *   half-up to the currency's minor unit (0.01 for CNY).
 * - The outputs are Money: the total is that rounding; the parts (each item's
 *   electricity and service, and their sums) are the total shared out by
 *   largest remainder, so a printed bill adds up to what is paid, and no part is
 *   a minor unit or more from its exact value.
 */

export interface MeterSample {
  at: Date;
  /** the charger's cumulative energy register, in Wh */
  meterWh: Exact;
}

export interface SessionUsage {
  startedAt: Date;
  stoppedAt: Date;
  /** Total energy in Wh; used only when there are no samples. */
  energyWh?: Exact;
  /** Cumulative meter readings within [startedAt, stoppedAt], at least two; the first is the start reading, the last the stop reading. */
  meterSamples?: readonly MeterSample[];
}

export interface PriceItem {
  version: number;
  /** index into that version's (sorted) segments */
  segmentIndex: number;
  segment: Segment;
  /** charging time that fell into this segment, ms */
  durationMs: number;
  energyWh: Exact;
  electricity: Exact;
  service: Exact;
  /** electricity as Money: its share of the rounded total (largest remainder) */
  electricityAmount: Money;
  serviceAmount: Money;
}

export interface SessionPrice {
  planId: string;
  currency: string;
  timezone: string;
  energyWh: Exact;
  durationMs: number;
  /** in order of first use */
  items: PriceItem[];
  electricity: Exact;
  service: Exact;
  /** electricity + service, before rounding */
  totalExact: Exact;
  /** totalExact rounded half-up to the currency's minor unit: what is paid */
  total: Money;
  /** the items' electricity amounts summed (shares of total) */
  electricityAmount: Money;
  serviceAmount: Money;
  /** the plan versions that priced some part of the session, ascending */
  versionsUsed: number[];
}

/** Sessions this old are refused: the quarter-hour walk relies on modern tz offsets (see local-time.ts). */
const EARLIEST = Date.UTC(2000, 0, 1);
/** Longest session priced in one call: bounds the work of the walk. */
export const MAX_SESSION_MS = 31 * 86_400_000;
const WH_PER_KWH = Exact.int(1000);

export class PricingInputError extends AppError {
  constructor(message: string, field?: string) {
    super(ErrorCodes.BAD_USER_INPUT, message, { details: field ? { field } : undefined });
  }
}

interface Reading {
  from: number;
  to: number;
  energyWh: Exact;
}

function readingsOf(u: SessionUsage): Reading[] {
  const { start, stop } = sessionSpan(u);
  const samples = u.meterSamples;
  if (samples && samples.length > 0) {
    if (u.energyWh !== undefined) throw new PricingInputError('give either energyWh or meterSamples, not both', 'energyWh');
    return readingsFromSamples(samples, start, stop);
  }
  if (u.energyWh === undefined) throw new PricingInputError('give energyWh or meterSamples', 'energyWh');
  if (u.energyWh.sign() < 0) throw new PricingInputError('energyWh must not be negative', 'energyWh');
  return [{ from: start, to: stop, energyWh: u.energyWh }];
}

function sessionSpan(u: SessionUsage): { start: number; stop: number } {
  const start = u.startedAt.getTime();
  const stop = u.stoppedAt.getTime();
  if (!Number.isFinite(start) || !Number.isFinite(stop)) throw new PricingInputError('startedAt and stoppedAt must be valid instants');
  if (stop <= start)
    throw new PricingInputError(`stoppedAt (${u.stoppedAt.toISOString()}) must be after startedAt (${u.startedAt.toISOString()})`, 'stoppedAt');
  if (start < EARLIEST) throw new PricingInputError('sessions before 2000-01-01 cannot be priced', 'startedAt');
  if (stop - start > MAX_SESSION_MS) throw new PricingInputError('a session longer than 31 days cannot be priced in one call', 'stoppedAt');
  return { start, stop };
}

function readingsFromSamples(samples: NonNullable<SessionUsage['meterSamples']>, start: number, stop: number): Reading[] {
  if (samples.length < 2) throw new PricingInputError('meterSamples needs at least two readings (start and stop)', 'meterSamples');
  const out: Reading[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const t = s.at.getTime();
    if (!Number.isFinite(t) || t < start || t > stop) throw new PricingInputError(`meter sample ${i + 1} is outside the session`, `meterSamples[${i}]`);
    if (i === 0) continue;
    const prev = samples[i - 1];
    if (t <= prev.at.getTime()) throw new PricingInputError(`meter sample ${i + 1} is not later than sample ${i}`, `meterSamples[${i}]`);
    const e = s.meterWh.sub(prev.meterWh);
    if (e.sign() < 0) throw new PricingInputError(`meter sample ${i + 1} reads less than sample ${i}: a meter only counts up`, `meterSamples[${i}]`);
    out.push({ from: prev.at.getTime(), to: t, energyWh: e });
  }
  return out;
}

const tables = new WeakMap<PlanVersion, Int16Array>();
function tableOf(v: PlanVersion): Int16Array {
  let t = tables.get(v);
  if (!t) {
    t = slotTable(v.segments);
    tables.set(v, t);
  }
  return t;
}

/** The first effectiveFrom strictly inside (from, to), if any: where a reading must be cut. */
function nextVersionChange(plan: PricedPlan, from: number, to: number): number {
  for (const v of plan.versions) {
    const e = v.effectiveFrom.getTime();
    if (e > from && e < to) return e;
  }
  return to;
}

export function priceSession(plan: PricedPlan, usage: SessionUsage): SessionPrice {
  if (plan.versions.length === 0) throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `plan ${plan.id} has no versions`);
  const readings = readingsOf(usage);
  const items = new Map<string, PriceItem>();

  for (const r of readings) {
    const duration = r.to - r.from;
    const msByKey = new Map<string, { v: PlanVersion; idx: number; ms: number }>();
    let pos = r.from;
    while (pos < r.to) {
      const quarter = floorToQuarter(pos);
      let next = Math.min(quarter + QUARTER_MS, r.to);
      next = nextVersionChange(plan, pos, next);
      const v = versionAt(plan.versions, pos);
      const idx = tableOf(v)[localSlotOf(plan.timezone, quarter)];
      const key = `${v.version}:${idx}`;
      const acc = msByKey.get(key);
      if (acc) acc.ms += next - pos;
      else msByKey.set(key, { v, idx, ms: next - pos });
      pos = next;
    }
    for (const [key, { v, idx, ms }] of msByKey) {
      // exact share of this reading's energy: E × ms / duration
      const energy = r.energyWh.mul(Exact.of(BigInt(ms), BigInt(duration)));
      const item = items.get(key);
      if (item) {
        item.durationMs += ms;
        item.energyWh = item.energyWh.add(energy);
      } else {
        const segment = v.segments[idx];
        items.set(key, {
          version: v.version,
          segmentIndex: idx,
          segment,
          durationMs: ms,
          energyWh: energy,
          electricity: Exact.ZERO,
          service: Exact.ZERO,
          electricityAmount: zeroMoney(plan.currency),
          serviceAmount: zeroMoney(plan.currency),
        });
      }
    }
  }

  const list = [...items.values()];
  for (const it of list) {
    const kwh = it.energyWh.div(WH_PER_KWH);
    it.electricity = kwh.mul(it.segment.energyPrice);
    it.service = kwh.mul(it.segment.serviceFee);
  }
  const electricity = sum(list.map((i) => i.electricity));
  const service = sum(list.map((i) => i.service));
  const totalExact = electricity.add(service);
  const total = moneyFromRational(totalExact.n, totalExact.d, plan.currency);
  const shares = allocate(
    total,
    list.flatMap((i) => [i.electricity, i.service]),
  );
  list.forEach((it, k) => {
    it.electricityAmount = shares[2 * k];
    it.serviceAmount = shares[2 * k + 1];
  });
  return {
    planId: plan.id,
    currency: plan.currency,
    timezone: plan.timezone,
    energyWh: sum(readings.map((r) => r.energyWh)),
    durationMs: usage.stoppedAt.getTime() - usage.startedAt.getTime(),
    items: list,
    electricity,
    service,
    totalExact,
    total,
    electricityAmount: money(
      list.reduce((a, i) => a + i.electricityAmount.minor, 0),
      plan.currency,
    ),
    serviceAmount: money(
      list.reduce((a, i) => a + i.serviceAmount.minor, 0),
      plan.currency,
    ),
    versionsUsed: [...new Set(list.map((i) => i.version))].sort((a, b) => a - b),
  };
}

/**
 * Share `total` (the half-up rounding of the parts' exact sum) out over the
 * parts in minor units: each part gets its value rounded down, and the minor
 * units left go one each to the parts with the largest remainders (the first
 * on ties). The shares sum to `total` exactly; each is within one minor unit
 * of its exact part.
 */
export function allocate(total: Money, parts: readonly Exact[]): Money[] {
  const scale = Exact.int(10n ** BigInt(currencyExponent(total.currency)));
  const scaled = parts.map((p) => p.mul(scale));
  const floors = scaled.map(floor);
  let left = BigInt(total.minor) - floors.reduce((a, b) => a + b, 0n);
  if (left < 0n || left > BigInt(parts.length)) throw new RangeError(`${total.minor} is not the rounded sum of the parts`);
  const order = scaled.map((x, i) => ({ i, rem: x.sub(Exact.of(floors[i])) })).sort((a, b) => b.rem.cmp(a.rem) || a.i - b.i);
  const minor = [...floors];
  for (const { i } of order) {
    if (left <= 0n) break;
    minor[i] += 1n;
    left -= 1n;
  }
  return minor.map((m) => money(m, total.currency));
}

/** Largest integer ≤ x. */
function floor(x: Exact): bigint {
  const q = x.n / x.d;
  return x.n < 0n && q * x.d !== x.n ? q - 1n : q;
}
