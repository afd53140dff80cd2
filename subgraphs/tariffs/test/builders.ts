import { Exact } from '../src/domain/exact';
import { PlanVersion, PricedPlan, SegmentInput, segmentsFromRecords } from '../src/domain/plan';

/** The example plan: 00–08 0.68 + 0.35, 08–18 0.85 + 0.40, 18–24 0.78 + 0.38. */
export const EXAMPLE_SEGMENTS: SegmentInput[] = [
  { start: '00:00', end: '08:00', energyPrice: '0.68', serviceFee: '0.35' },
  { start: '08:00', end: '18:00', energyPrice: '0.85', serviceFee: '0.40' },
  { start: '18:00', end: '24:00', energyPrice: '0.78', serviceFee: '0.38' },
];

export const seg = (start: string, end: string, energyPrice = '1.0000', serviceFee = '0.0000'): SegmentInput => ({ start, end, energyPrice, serviceFee });

export function aVersion(overrides: { version?: number; effectiveFrom?: Date | string; segments?: SegmentInput[] } = {}): PlanVersion {
  return {
    version: overrides.version ?? 1,
    effectiveFrom: new Date(overrides.effectiveFrom ?? '2020-01-01T00:00:00Z'),
    segments: segmentsFromRecords(overrides.segments ?? EXAMPLE_SEGMENTS),
  };
}

export function aPlan(overrides: Partial<Omit<PricedPlan, 'versions'>> & { versions?: PlanVersion[]; segments?: SegmentInput[] } = {}): PricedPlan {
  const { segments, versions, ...rest } = overrides;
  return { id: 'plan-1', currency: 'CNY', timezone: 'Asia/Shanghai', versions: versions ?? [aVersion({ segments })], ...rest };
}

/** A wall-clock time in Shanghai (UTC+8, no DST) as a UTC instant. */
export const shanghai = (local: string): Date => new Date(`${local}+08:00`);

export const wh = (s: string | number): Exact => (typeof s === 'number' ? Exact.int(s) : Exact.parse(s));
export const kwh = (n: number): Exact => Exact.int(n * 1000);

/** A createTariffPlan input with overrides. */
export function aTariff(
  overrides: Partial<{
    stationId: string | null;
    name: string;
    currency: string;
    timezone: string;
    isDefault: boolean;
    segments: SegmentInput[];
    effectiveFrom: string;
  }> = {},
) {
  return { name: 'Time of use', currency: 'CNY', isDefault: false, segments: EXAMPLE_SEGMENTS, ...overrides };
}

/** Five price pairs: more than a YKC charger's four tiers. */
export const FIVE_PRICES: SegmentInput[] = ['1', '2', '3', '4', '5'].map((p, i) =>
  seg(`${String(i * 4).padStart(2, '0')}:00`, i === 4 ? '24:00' : `${String(i * 4 + 4).padStart(2, '0')}:00`, p),
);
