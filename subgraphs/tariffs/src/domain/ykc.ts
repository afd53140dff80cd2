import { createHash } from 'node:crypto';
import { Exact } from './exact';
import { describeSegment, formatClock, Segment, slotTable, SLOT_MINUTES } from './plan';

/**
 * A plan version in the YKC (云快充) billing model: at most 4 price tiers
 * (尖 sharp, 峰 peak, 平 flat, 谷 valley), each an electricity rate and a service
 * rate, and 48 half-hour slots each naming a tier (messages 0x0A / 0x58).
 *
 * Tiers are numbered as the protocol numbers them (0 尖 … 3 谷) and assigned by
 * total price per kWh, dearest first; a plan with fewer than four price pairs
 * leaves the cheaper tier numbers unused (rates 0). Prices travel ×10^5 on the
 * wire; 4-place plan prices always fit.
 *
 * This is the platform's only conversion: the protocol bridge encodes what it
 * returns (rates already ×10^5, the model number) and converts nothing itself.
 */
export const YKC_TIERS = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'] as const;
export type YkcTierName = (typeof YKC_TIERS)[number];
export const YKC_SLOTS = 48;
export const YKC_CURRENCY = 'CNY';

export interface YkcTier {
  /** 0 尖, 1 峰, 2 平, 3 谷 */
  tier: number;
  name: YkcTierName;
  energyPrice: Exact;
  serviceFee: Exact;
  /** whether any slot uses it */
  used: boolean;
}

export interface YkcBillingModel {
  tiers: YkcTier[];
  /** 48 entries, slot k = [k×30 min, (k+1)×30 min) local time; each a tier number */
  slots: number[];
}

export type YkcConversion = { ok: true; model: YkcBillingModel } | { ok: false; reasons: string[] };

/**
 * The largest rate a model carries. The wire field is u32, but the rates reach the
 * bridge as GraphQL Int (signed 32-bit), so the bound is 2^31−1 (21474.83647 yuan/kWh).
 */
const MAX_YKC_PRICE_UNITS = Exact.int(0x7fffffff);

/** Prices as the wire carries them (yuan × 10^5), exactly. */
export const toYkcPriceUnits = (p: Exact): number => {
  const units = p.mul(Exact.int(100_000));
  if (!units.hasScale(0) || units.sign() < 0 || units.cmp(MAX_YKC_PRICE_UNITS) > 0)
    throw new RangeError(`price ${p.toDecimalString()} does not fit the YKC field`);
  return Number(units.n);
};

/**
 * The model number a pile shows and verifies (0x05): 4 BCD digits, 0001–9999, taken from the
 * model's content — its tiers' rates as the wire carries them and its 48 slots. The bridge tells
 * a pile its model is current, and skips a push, when the numbers are equal, so equal numbers
 * must mean equal prices: a number from the plan's id and version let two plans share one (a
 * pile moved to the other plan kept billing the old prices). Now two models share a number only
 * when their prices are the same, or by a 1-in-9,999 hash collision. Never 0000, which a pile
 * fresh from the factory may show.
 */
export function ykcModelNumber(model: YkcBillingModel): string {
  const content = JSON.stringify({
    tiers: model.tiers.map((t) => [t.tier, toYkcPriceUnits(t.energyPrice), toYkcPriceUnits(t.serviceFee)]),
    slots: model.slots,
  });
  const n = (createHash('sha256').update(content).digest().readUInt32BE(0) % 9999) + 1;
  return String(n).padStart(4, '0');
}

/** The number a version that cannot be a YKC model carries: no pile is given it. */
export const NO_YKC_MODEL_NUMBER = '0000';

/** Convert one version's segments, or say every reason it can't be represented. */
export function toYkcBillingModel(segments: readonly Segment[], currency: string): YkcConversion {
  const reasons: string[] = [];
  if (currency !== YKC_CURRENCY) reasons.push(`YKC chargers bill in ${YKC_CURRENCY}; this plan is in ${currency}`);
  const table = slotTable(segments);
  const pairKey = (s: Segment) => `${s.energyPrice.toFixed(4)}|${s.serviceFee.toFixed(4)}`;

  const slotPair: string[] = [];
  for (let k = 0; k < YKC_SLOTS; k++) {
    const a = segments[table[2 * k]];
    const b = segments[table[2 * k + 1]];
    if (pairKey(a) !== pairKey(b)) {
      const from = formatClock(k * 2 * SLOT_MINUTES);
      const to = formatClock((k + 1) * 2 * SLOT_MINUTES);
      const mid = formatClock((2 * k + 1) * SLOT_MINUTES);
      reasons.push(
        `half-hour slot ${from}–${to} would need two prices (${describeSegment(table[2 * k], a)} until ${mid}, ${describeSegment(table[2 * k + 1], b)} from ${mid}); YKC chargers price whole half-hours`,
      );
    }
    slotPair.push(pairKey(a));
  }

  const distinct = new Map<string, Segment>();
  for (const s of segments) if (!distinct.has(pairKey(s))) distinct.set(pairKey(s), s);
  if (distinct.size > YKC_TIERS.length) {
    reasons.push(`the plan has ${distinct.size} different price pairs (energy price + service fee); YKC chargers hold at most ${YKC_TIERS.length} tiers`);
  }
  for (const s of distinct.values()) {
    try {
      toYkcPriceUnits(s.energyPrice);
      toYkcPriceUnits(s.serviceFee);
    } catch (e) {
      reasons.push((e as Error).message);
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };

  const ranked = [...distinct.entries()].sort(([, x], [, y]) => {
    const c = y.energyPrice.add(y.serviceFee).cmp(x.energyPrice.add(x.serviceFee));
    return c !== 0 ? c : y.energyPrice.cmp(x.energyPrice);
  });
  const tierOf = new Map(ranked.map(([k], i) => [k, i]));
  const tiers: YkcTier[] = YKC_TIERS.map((name, i) => {
    const seg = ranked[i]?.[1];
    return { tier: i, name, energyPrice: seg?.energyPrice ?? Exact.ZERO, serviceFee: seg?.serviceFee ?? Exact.ZERO, used: !!seg };
  });
  return { ok: true, model: { tiers, slots: slotPair.map((k) => tierOf.get(k)!) } };
}
