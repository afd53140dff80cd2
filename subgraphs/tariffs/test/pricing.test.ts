import fc from 'fast-check';
import { formatMoney, money, type Money } from '@evcs/platform';
import { Exact, sum } from '../src/domain/exact';
import { formatClock, SegmentInput } from '../src/domain/plan';
import { allocate, MeterSample, priceSession, PricingInputError } from '../src/domain/pricing';
import { aPlan, aVersion, EXAMPLE_SEGMENTS, kwh, seg, shanghai, wh } from './builders';

const total = (p: ReturnType<typeof priceSession>) => formatMoney(p.total);
/** Money in CNY as an exact rational of yuan */
const yuan = (m: Money) => Exact.of(BigInt(m.minor), 100n);

describe('pricing: the issue examples', () => {
  const plan = aPlan();

  it('07:00–09:00 with 20 kWh and no samples costs 22.80', () => {
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T07:00:00'), stoppedAt: shanghai('2026-03-02T09:00:00'), energyWh: kwh(20) });
    expect(total(p)).toBe('22.80');
    expect(p.items.map((i) => [i.segment.start, i.energyWh.toDecimalString(), i.electricity.toDecimalString(), i.service.toDecimalString()])).toEqual([
      ['00:00', '10000', '6.8', '3.5'],
      ['08:00', '10000', '8.5', '4'],
    ]);
    expect(p.electricity.toDecimalString()).toBe('15.3');
    expect(p.items.map((i) => [formatMoney(i.electricityAmount), formatMoney(i.serviceAmount)])).toEqual([
      ['6.80', '3.50'],
      ['8.50', '4.00'],
    ]);
    expect([formatMoney(p.electricityAmount), formatMoney(p.serviceAmount), p.total.currency]).toEqual(['15.30', '7.50', 'CNY']);
    expect(p.service.toDecimalString()).toBe('7.5');
  });

  it('23:00–01:00 with 12 kWh costs 13.14 (across midnight)', () => {
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T23:00:00'), stoppedAt: shanghai('2026-03-03T01:00:00'), energyWh: kwh(12) });
    expect(total(p)).toBe('13.14');
    expect(p.items.map((i) => i.segment.start)).toEqual(['18:00', '00:00']);
    expect(p.items.map((i) => i.durationMs)).toEqual([3_600_000, 3_600_000]);
  });
});

describe('pricing: boundaries, seconds, midnight', () => {
  const plan = aPlan();

  it('a session ending exactly on a boundary never touches the next segment', () => {
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T07:45:00'), stoppedAt: shanghai('2026-03-02T08:00:00'), energyWh: kwh(1) });
    expect(p.items.map((i) => i.segment.start)).toEqual(['00:00']);
    expect(total(p)).toBe('1.03');
  });

  it('a session starting exactly on a boundary is priced in the new segment only', () => {
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T18:00:00'), stoppedAt: shanghai('2026-03-02T18:00:01'), energyWh: kwh(1) });
    expect(p.items.map((i) => i.segment.start)).toEqual(['18:00']);
    expect(total(p)).toBe('1.16');
  });

  it('a one-second session straddling a boundary is split by the half-second', () => {
    const p = priceSession(plan, {
      startedAt: new Date(shanghai('2026-03-02T07:59:59').getTime() + 500),
      stoppedAt: new Date(shanghai('2026-03-02T08:00:00').getTime() + 500),
      energyWh: kwh(1),
    });
    // 0.5 kWh × 1.03 + 0.5 kWh × 1.25 = 1.14
    expect(p.totalExact.toDecimalString()).toBe('1.14');
    expect(p.items.map((i) => i.durationMs)).toEqual([500, 500]);
  });

  it('a one-second session with 10 Wh costs 0.0103 exactly, 0.01 rounded', () => {
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T03:00:00'), stoppedAt: shanghai('2026-03-02T03:00:01'), energyWh: wh(10) });
    expect(p.totalExact.toDecimalString()).toBe('0.0103');
    expect(total(p)).toBe('0.01');
  });

  it('seconds count: 07:00:00–09:00:30 is not the same as 07:00–09:00', () => {
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T07:00:00'), stoppedAt: shanghai('2026-03-02T09:00:30'), energyWh: kwh(20) });
    // 20 kWh × (3600 × 1.03 + 3630 × 1.25) / 7230 = 164910 / 7230 = 22.8091…
    expect(p.totalExact.eq(Exact.of(164910n, 7230n))).toBe(true);
    expect(total(p)).toBe('22.81');
  });

  it('a segment that crosses midnight prices both sides of it as one item', () => {
    const night = aPlan({ segments: [seg('22:00', '06:00', '0.3000', '0.1000'), seg('06:00', '22:00', '1.0000', '0.5000')] });
    const p = priceSession(night, { startedAt: shanghai('2026-03-02T23:00:00'), stoppedAt: shanghai('2026-03-03T01:00:00'), energyWh: kwh(10) });
    expect(p.items).toHaveLength(1);
    expect(p.items[0].segment.start).toBe('22:00');
    expect(total(p)).toBe('4.00');
  });

  it('rounds half-up once, at the end', () => {
    const flat = aPlan({ segments: [seg('00:00', '24:00', '1.0000', '0.0000')] });
    const at = { startedAt: shanghai('2026-03-02T10:00:00'), stoppedAt: shanghai('2026-03-02T10:10:00') };
    expect(total(priceSession(flat, { ...at, energyWh: wh(5) }))).toBe('0.01');
    expect(total(priceSession(flat, { ...at, energyWh: wh(4) }))).toBe('0.00');
    expect(total(priceSession(flat, { ...at, energyWh: wh('22805') }))).toBe('22.81');
    // three thirds of 1 Wh at 1.0001/kWh: one rounding of the exact sum, not three
    const three = aPlan({ segments: [seg('00:00', '08:00', '0.0001', '0'), seg('08:00', '16:00', '0.0001', '0'), seg('16:00', '24:00', '0.0001', '0')] });
    const p = priceSession(three, { startedAt: shanghai('2026-03-02T00:00:00'), stoppedAt: shanghai('2026-03-03T00:00:00'), energyWh: wh(100_000) });
    expect(p.items.map((i) => i.electricity.toString())).toEqual(['1/300', '1/300', '1/300']);
    expect(p.totalExact.toDecimalString()).toBe('0.01');
    // the fen the total rounds to goes to one part (the first of equal remainders), so the bill adds up
    expect(p.items.map((i) => i.electricityAmount.minor)).toEqual([1, 0, 0]);
    expect(p.electricityAmount.minor).toBe(1);
  });

  it('a session spanning more than a day meets the same segment twice as one item', () => {
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T00:00:00'), stoppedAt: shanghai('2026-03-04T00:00:00'), energyWh: kwh(48) });
    expect(p.items.map((i) => [i.segment.start, i.durationMs / 3_600_000])).toEqual([
      ['00:00', 16],
      ['08:00', 20],
      ['18:00', 12],
    ]);
    expect(total(p)).toBe(
      Exact.int(16)
        .mul(Exact.parse('1.03'))
        .add(Exact.int(20).mul(Exact.parse('1.25')))
        .add(Exact.int(12).mul(Exact.parse('1.16')))
        .toFixed(2),
    );
  });
});

describe('pricing: meter samples', () => {
  const plan = aPlan();
  const s = (local: string, meter: number | string): MeterSample => ({ at: shanghai(local), meterWh: wh(meter) });

  it('prices the energy between two samples at the segments in force then', () => {
    const p = priceSession(plan, {
      startedAt: shanghai('2026-03-02T07:00:00'),
      stoppedAt: shanghai('2026-03-02T09:00:00'),
      meterSamples: [s('2026-03-02T07:00:00', 1_000_000), s('2026-03-02T08:00:00', 1_015_000), s('2026-03-02T09:00:00', 1_020_000)],
    });
    // 15 kWh × 1.03 + 5 kWh × 1.25 = 21.70 (evenly spread it would be 22.80)
    expect(total(p)).toBe('21.70');
    expect(p.energyWh.toDecimalString()).toBe('20000');
  });

  it('spreads one sample interval that straddles a boundary evenly over its time', () => {
    const p = priceSession(plan, {
      startedAt: shanghai('2026-03-02T07:30:00'),
      stoppedAt: shanghai('2026-03-02T08:30:00'),
      meterSamples: [s('2026-03-02T07:30:00', 0), s('2026-03-02T08:30:00', '1000.5')],
    });
    expect(p.items.map((i) => i.energyWh.toDecimalString())).toEqual(['500.25', '500.25']);
  });

  it('refuses samples that go backwards, leave the session, or come with energyWh', () => {
    const at = { startedAt: shanghai('2026-03-02T07:00:00'), stoppedAt: shanghai('2026-03-02T09:00:00') };
    expect(() => priceSession(plan, { ...at, meterSamples: [s('2026-03-02T07:00:00', 10), s('2026-03-02T08:00:00', 9)] })).toThrow(/meter only counts up/);
    expect(() => priceSession(plan, { ...at, meterSamples: [s('2026-03-02T07:00:00', 1), s('2026-03-02T07:00:00', 2)] })).toThrow(/not later than/);
    expect(() => priceSession(plan, { ...at, meterSamples: [s('2026-03-02T06:00:00', 1), s('2026-03-02T08:00:00', 2)] })).toThrow(/outside the session/);
    expect(() => priceSession(plan, { ...at, meterSamples: [s('2026-03-02T07:00:00', 1)] })).toThrow(/at least two/);
    expect(() => priceSession(plan, { ...at, energyWh: wh(1), meterSamples: [s('2026-03-02T07:00:00', 1), s('2026-03-02T08:00:00', 2)] })).toThrow(/either/);
    expect(() => priceSession(plan, { startedAt: at.startedAt, stoppedAt: at.startedAt, energyWh: wh(1) })).toThrow(PricingInputError);
  });
});

describe('pricing: versions change mid-session at effectiveFrom', () => {
  const v2segments = [seg('00:00', '24:00', '2.0000', '0.0000')];

  it('prices each part of the session with the version in force then, and records both', () => {
    const plan = aPlan({ versions: [aVersion(), aVersion({ version: 2, effectiveFrom: shanghai('2026-03-02T08:00:00'), segments: v2segments })] });
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T07:00:00'), stoppedAt: shanghai('2026-03-02T09:00:00'), energyWh: kwh(20) });
    // 10 kWh × 1.03 (v1) + 10 kWh × 2.00 (v2)
    expect(total(p)).toBe('30.30');
    expect(p.versionsUsed).toEqual([1, 2]);
  });

  it('a version change in the middle of a quarter-hour cuts at the exact instant', () => {
    const change = new Date(shanghai('2026-03-02T07:07:30').getTime());
    const plan = aPlan({ versions: [aVersion(), aVersion({ version: 2, effectiveFrom: change, segments: v2segments })] });
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T07:00:00'), stoppedAt: shanghai('2026-03-02T07:15:00'), energyWh: kwh(15) });
    expect(p.items.map((i) => [i.version, i.durationMs, i.energyWh.toDecimalString()])).toEqual([
      [1, 450_000, '7500'],
      [2, 450_000, '7500'],
    ]);
  });

  it('a version in the future does not touch a session before it; the first version also prices anything before it', () => {
    const plan = aPlan({
      versions: [
        aVersion({ effectiveFrom: shanghai('2026-03-02T08:00:00') }),
        aVersion({ version: 2, effectiveFrom: shanghai('2026-04-01T00:00:00'), segments: v2segments }),
      ],
    });
    const p = priceSession(plan, { startedAt: shanghai('2026-03-02T07:00:00'), stoppedAt: shanghai('2026-03-02T09:00:00'), energyWh: kwh(20) });
    expect(total(p)).toBe('22.80');
    expect(p.versionsUsed).toEqual([1]);
  });
});

describe('pricing: timezones', () => {
  // 00:00–02:00 A, 02:00–03:00 B, 03:00–24:00 C, in Berlin local time
  const berlin = aPlan({
    timezone: 'Europe/Berlin',
    segments: [seg('00:00', '02:00', '1.0000', '0'), seg('02:00', '03:00', '5.0000', '0'), seg('03:00', '24:00', '2.0000', '0')],
  });

  it('spring forward: the skipped local hour is never charged', () => {
    // 2024-03-31 01:00 UTC: 02:00 CET becomes 03:00 CEST
    const p = priceSession(berlin, { startedAt: new Date('2024-03-31T00:30:00Z'), stoppedAt: new Date('2024-03-31T01:30:00Z'), energyWh: kwh(2) });
    expect(p.items.map((i) => [i.segment.start, i.durationMs])).toEqual([
      ['00:00', 1_800_000],
      ['03:00', 1_800_000],
    ]);
    expect(total(p)).toBe('3.00');
  });

  it('fall back: the repeated local hour is charged twice, by real time', () => {
    // 2024-10-27 01:00 UTC: 03:00 CEST becomes 02:00 CET; 02:00–03:00 local happens twice
    const p = priceSession(berlin, { startedAt: new Date('2024-10-27T00:00:00Z'), stoppedAt: new Date('2024-10-27T02:00:00Z'), energyWh: kwh(2) });
    expect(p.items.map((i) => [i.segment.start, i.durationMs])).toEqual([['02:00', 7_200_000]]);
    expect(total(p)).toBe('10.00');
  });

  it('a +05:45 zone puts boundaries on UTC quarter-hours too', () => {
    const kathmandu = aPlan({ timezone: 'Asia/Kathmandu' });
    // 08:00 in Kathmandu is 02:15 UTC
    const p = priceSession(kathmandu, { startedAt: new Date('2026-03-02T02:00:00Z'), stoppedAt: new Date('2026-03-02T02:30:00Z'), energyWh: kwh(2) });
    expect(p.items.map((i) => [i.segment.start, i.durationMs])).toEqual([
      ['00:00', 900_000],
      ['08:00', 900_000],
    ]);
  });

  it('Shanghai never shifts: the same wall clock is the same price all year', () => {
    const plan = aPlan();
    for (const d of ['2026-01-15', '2026-07-15']) {
      expect(total(priceSession(plan, { startedAt: shanghai(`${d}T07:00:00`), stoppedAt: shanghai(`${d}T09:00:00`), energyWh: kwh(20) }))).toBe('22.80');
    }
  });
});

// ---------------------------------------------------------------- properties

const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC'];
const price = fc.integer({ min: 0, max: 99_999 }).map((n) => Exact.of(BigInt(n), 10_000n).toFixed(4));

/** Any valid plan: k cut points on the 96 quarter-hours, rotated so segments may cross midnight. */
const segmentsArb: fc.Arbitrary<SegmentInput[]> = fc
  .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 95 }), { minLength: 0, maxLength: 12 }), fc.integer({ min: 0, max: 95 }))
  .chain(([cuts, rot]) => {
    const points = [0, ...cuts.sort((a, b) => a - b)];
    return fc.array(fc.tuple(price, price), { minLength: points.length, maxLength: points.length }).map((prices) =>
      points.map((p, i) => {
        if (points.length === 1) return { start: '00:00', end: '24:00', energyPrice: prices[0][0], serviceFee: prices[0][1] };
        const from = (p + rot) % 96;
        const to = ((i + 1 < points.length ? points[i + 1] : 96) + rot) % 96;
        return { start: formatClock(from * 15), end: to === 0 ? '24:00' : formatClock(to * 15), energyPrice: prices[i][0], serviceFee: prices[i][1] };
      }),
    );
  });

const planArb = fc.tuple(segmentsArb, segmentsArb, fc.constantFrom(...ZONES), fc.integer({ min: 0, max: 3 * 86_400_000 })).map(([s1, s2, timezone, v2offset]) =>
  aPlan({
    timezone,
    versions: [
      aVersion({ segments: s1, effectiveFrom: new Date('2026-01-01T00:00:00Z') }),
      aVersion({ version: 2, segments: s2, effectiveFrom: new Date(Date.UTC(2026, 2, 1) + v2offset) }),
    ],
  }),
);

const BASE = Date.UTC(2026, 1, 27); // sessions around the version change and a DST change (US 2026-03-08)
const sessionArb = fc
  .tuple(fc.integer({ min: 0, max: 12 * 86_400_000 }), fc.integer({ min: 1, max: 2 * 86_400_000 }), fc.bigInt({ min: 0n, max: 200_000_000n }))
  .map(([startOff, dur, mwh]) => ({ startedAt: new Date(BASE + startOff), stoppedAt: new Date(BASE + startOff + dur), energyWh: Exact.of(mwh, 1000n) }));

describe('pricing: properties', () => {
  it('itemized parts sum to the total before rounding; energy and time are conserved', () => {
    fc.assert(
      fc.property(planArb, sessionArb, (plan, s) => {
        const p = priceSession(plan, s);
        expect(sum(p.items.flatMap((i) => [i.electricity, i.service])).eq(p.totalExact)).toBe(true);
        expect(sum(p.items.map((i) => i.energyWh)).eq(s.energyWh)).toBe(true);
        expect(p.items.reduce((a, i) => a + i.durationMs, 0)).toBe(s.stoppedAt.getTime() - s.startedAt.getTime());
        expect(yuan(p.total).sub(p.totalExact).cmp(Exact.of(1n, 200n))).toBeLessThanOrEqual(0);
        expect(p.totalExact.sub(yuan(p.total)).cmp(Exact.of(1n, 200n))).toBeLessThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('the Money parts add up to the rounded total, each within a fen of its exact value', () => {
    fc.assert(
      fc.property(planArb, sessionArb, (plan, s) => {
        const p = priceSession(plan, s);
        const parts = p.items.flatMap((i) => [[i.electricityAmount, i.electricity] as const, [i.serviceAmount, i.service] as const]);
        expect(parts.reduce((a, [m]) => a + m.minor, 0)).toBe(p.total.minor);
        expect(p.electricityAmount.minor + p.serviceAmount.minor).toBe(p.total.minor);
        expect(p.items.reduce((a, i) => a + i.electricityAmount.minor, 0)).toBe(p.electricityAmount.minor);
        for (const [m, exact] of parts) {
          const d = yuan(m).sub(exact);
          expect(d.cmp(Exact.of(1n, 100n))).toBeLessThan(0);
          expect(d.cmp(Exact.of(-1n, 100n))).toBeGreaterThan(0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('splitting a session at any instant (energy by time) never changes its exact cost', () => {
    fc.assert(
      fc.property(planArb, sessionArb, fc.double({ min: 0, max: 1, noNaN: true }), (plan, s, f) => {
        const start = s.startedAt.getTime();
        const dur = s.stoppedAt.getTime() - start;
        fc.pre(dur >= 2);
        const cut = start + 1 + Math.floor(f * (dur - 2)); // strictly inside
        const e1 = s.energyWh.mul(Exact.of(BigInt(cut - start), BigInt(dur)));
        const a = priceSession(plan, { startedAt: s.startedAt, stoppedAt: new Date(cut), energyWh: e1 });
        const b = priceSession(plan, { startedAt: new Date(cut), stoppedAt: s.stoppedAt, energyWh: s.energyWh.sub(e1) });
        expect(a.totalExact.add(b.totalExact).eq(priceSession(plan, s).totalExact)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('with samples: splitting at a sample, or adding an interpolated sample, never changes the exact cost', () => {
    const samplesArb = fc
      .tuple(
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 * 3_600_000 }), fc.integer({ min: 0, max: 50_000 })), { minLength: 2, maxLength: 12 }),
      )
      .map(([off, steps]) => {
        let t = BASE + off;
        let m = Exact.int(123_456);
        const out: MeterSample[] = [{ at: new Date(t), meterWh: m }];
        for (const [dt, de] of steps) {
          t += dt;
          m = m.add(Exact.int(de));
          out.push({ at: new Date(t), meterWh: m });
        }
        return out;
      });
    fc.assert(
      fc.property(planArb, samplesArb, fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), (plan, samples, k, f) => {
        const whole = priceSession(plan, { startedAt: samples[0].at, stoppedAt: samples[samples.length - 1].at, meterSamples: samples });
        const i = 1 + (k % (samples.length - 2 || 1));
        if (samples.length > 2) {
          const left = samples.slice(0, i + 1);
          const right = samples.slice(i);
          const a = priceSession(plan, { startedAt: left[0].at, stoppedAt: left[left.length - 1].at, meterSamples: left });
          const b = priceSession(plan, { startedAt: right[0].at, stoppedAt: right[right.length - 1].at, meterSamples: right });
          expect(a.totalExact.add(b.totalExact).eq(whole.totalExact)).toBe(true);
        }
        // a linearly interpolated sample inside interval j adds no information, so no cost
        const j = k % (samples.length - 1);
        const [p, q] = [samples[j], samples[j + 1]];
        const span = q.at.getTime() - p.at.getTime();
        fc.pre(span >= 2);
        const dt = 1 + Math.floor(f * (span - 2));
        const mid: MeterSample = {
          at: new Date(p.at.getTime() + dt),
          meterWh: p.meterWh.add(q.meterWh.sub(p.meterWh).mul(Exact.of(BigInt(dt), BigInt(span)))),
        };
        const denser = [...samples.slice(0, j + 1), mid, ...samples.slice(j + 1)];
        expect(
          priceSession(plan, { startedAt: samples[0].at, stoppedAt: samples[samples.length - 1].at, meterSamples: denser }).totalExact.eq(whole.totalExact),
        ).toBe(true);
      }),
      { numRuns: 120 },
    );
  });

  it('a one-segment plan costs energy × (price + fee), whatever the time and zone', () => {
    fc.assert(
      fc.property(price, price, fc.constantFrom(...ZONES), sessionArb, (e, sv, timezone, s) => {
        const plan = aPlan({ timezone, segments: [{ start: '00:00', end: '24:00', energyPrice: e, serviceFee: sv }] });
        const p = priceSession(plan, s);
        expect(p.totalExact.eq(s.energyWh.div(Exact.int(1000)).mul(Exact.parse(e).add(Exact.parse(sv))))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('the example plan stays the example plan under any rotation of its listing order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), (r) => {
        const rotated = [...EXAMPLE_SEGMENTS.slice(r), ...EXAMPLE_SEGMENTS.slice(0, r)];
        const p = priceSession(aPlan({ segments: rotated }), {
          startedAt: shanghai('2026-03-02T07:00:00'),
          stoppedAt: shanghai('2026-03-02T09:00:00'),
          energyWh: kwh(20),
        });
        expect(formatMoney(p.total)).toBe('22.80');
      }),
    );
  });
});

describe('allocate', () => {
  const yuanOf = (s: string) => Exact.parse(s);
  it('shares the rounded total out by largest remainder, the first on ties', () => {
    // 0.004 + 0.004 + 0.004 = 0.012 → 0.01: one fen, to the first
    expect(allocate(money(1, 'CNY'), ['0.004', '0.004', '0.004'].map(yuanOf)).map((m) => m.minor)).toEqual([1, 0, 0]);
    // 1.004 + 2.003 + 0.006 = 3.013 → 3.01: floors 100 + 200 + 0, one fen left, to the largest remainder (0.6 fen)
    expect(allocate(money(301, 'CNY'), ['1.004', '2.003', '0.006'].map(yuanOf)).map((m) => m.minor)).toEqual([100, 200, 1]);
    // whole amounts stay whole; JPY has no minor digits
    expect(allocate(money(3, 'JPY'), ['1.5', '1.5'].map(yuanOf)).map((m) => m.minor)).toEqual([2, 1]);
  });
  it('refuses a total that is not the rounded sum of the parts', () => {
    expect(() => allocate(money(500, 'CNY'), ['1', '2'].map(yuanOf))).toThrow(RangeError);
    expect(() => allocate(money(100, 'CNY'), ['1', '2'].map(yuanOf))).toThrow(RangeError);
  });
});
