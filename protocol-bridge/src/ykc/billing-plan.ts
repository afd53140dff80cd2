import type { BillingModel, PriceTier } from './messages';

/** One segment of a platform tariff: [start, end) wall-clock, prices in yuan per kWh as decimal strings. */
export interface TariffSegment {
  /** "HH:mm" */
  start: string;
  /** "HH:mm", "24:00" allowed; end before start crosses midnight. */
  end: string;
  energyPrice: string;
  serviceFee: string;
}

export type BillingModelConversion = { ok: true; model: BillingModel } | { ok: false; reason: string };

const TIME = /^([01]\d|2[0-4]):([0-5]\d)$/;
const PRICE = /^\d{1,5}(\.\d{1,5})?$/;

function minutes(t: string): number | null {
  const m = TIME.exec(t);
  if (!m) return null;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return v > 1440 ? null : v;
}

/** "1.23456" → 123456 (yuan ×10^5), exactly. */
function priceX1e5(p: string): number {
  const [int, frac = ''] = p.split('.');
  return Number(int) * 100_000 + Number(frac.padEnd(5, '0'));
}

/**
 * A platform tariff (segments on a 15-minute grid, up to 96) as a YKC billing
 * model (4 price tiers, 48 half-hour slots) — or the reason it can't be one:
 * a price change that isn't on a half hour, more than 4 distinct price pairs,
 * gaps or overlaps, or prices finer than 10^-5 yuan. Tiers are ordered by
 * total price, dearest first (尖, 峰, 平, 谷); unused tiers repeat the cheapest.
 */
export function toYkcBillingModel(pileNo: string, modelNo: string, segments: TariffSegment[], lossRatio = 0): BillingModelConversion {
  const perQuarter: (string | undefined)[] = Array(96).fill(undefined);
  for (const s of segments) {
    const start = minutes(s.start);
    const end = minutes(s.end);
    if (start === null || end === null || start === 1440) return { ok: false, reason: `segment ${s.start}-${s.end}: times must be HH:mm, end may be 24:00` };
    if (start % 15 !== 0 || end % 15 !== 0) return { ok: false, reason: `segment ${s.start}-${s.end} is not on the 15-minute grid` };
    if (!PRICE.test(s.energyPrice) || !PRICE.test(s.serviceFee)) return { ok: false, reason: `segment ${s.start}-${s.end}: prices need at most 5 decimals` };
    const key = `${priceX1e5(s.energyPrice)}/${priceX1e5(s.serviceFee)}`;
    const length = (end - start + 1440) % 1440 || 1440;
    for (let q = start / 15, n = 0; n < length / 15; q = (q + 1) % 96, n++) {
      if (perQuarter[q] !== undefined) return { ok: false, reason: `segments overlap at ${clock(q * 15)}` };
      perQuarter[q] = key;
    }
  }
  const gap = perQuarter.findIndex((k) => k === undefined);
  if (gap !== -1) return { ok: false, reason: `no price at ${clock(gap * 15)}: a YKC model must cover the whole day` };
  for (let h = 0; h < 48; h++) {
    if (perQuarter[2 * h] !== perQuarter[2 * h + 1]) return { ok: false, reason: `the price changes at ${clock(h * 30 + 15)}; YKC can only change prices on the half hour` };
  }
  const pairs = [...new Set(perQuarter as string[])];
  if (pairs.length > 4) return { ok: false, reason: `${pairs.length} distinct prices; YKC models have at most 4 tiers` };
  const tiers = pairs
    .map((k) => {
      const [electricity, service] = k.split('/').map(Number);
      return { key: k, tier: { electricity, service } as PriceTier };
    })
    .sort((a, b) => b.tier.electricity + b.tier.service - (a.tier.electricity + a.tier.service));
  while (tiers.length < 4) tiers.push(tiers[tiers.length - 1]);
  // Reversed so a key repeated as filler keeps its first (real) tier index.
  const index = new Map<string, number>(tiers.map((t, i): [string, number] => [t.key, i]).reverse());
  const slots = Array.from({ length: 48 }, (_, h) => index.get(perQuarter[2 * h]!)!);
  return { ok: true, model: { pileNo, modelNo, tiers: [tiers[0].tier, tiers[1].tier, tiers[2].tier, tiers[3].tier], lossRatio, slots } };
}

function clock(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}
