import { Exact } from '../src/domain/exact';
import { segmentsFromRecords } from '../src/domain/plan';
import { toYkcBillingModel, toYkcPriceUnits, ykcModelNumber } from '../src/domain/ykc';
import { EXAMPLE_SEGMENTS, seg } from './builders';

describe('YKC billing model conversion', () => {
  it('converts the example plan: three tiers, dearest first, 48 half-hour slots', () => {
    const r = toYkcBillingModel(segmentsFromRecords(EXAMPLE_SEGMENTS), 'CNY');
    if (!r.ok) throw new Error(r.reasons.join('; '));
    expect(r.model.tiers.map((t) => [t.name, t.energyPrice.toFixed(4), t.serviceFee.toFixed(4), t.used])).toEqual([
      ['SHARP', '0.8500', '0.4000', true],
      ['PEAK', '0.7800', '0.3800', true],
      ['FLAT', '0.6800', '0.3500', true],
      ['VALLEY', '0.0000', '0.0000', false],
    ]);
    expect(r.model.slots).toEqual([...Array(16).fill(2), ...Array(20).fill(0), ...Array(12).fill(1)]);
  });

  it('merges segments with the same prices into one tier, across midnight', () => {
    const r = toYkcBillingModel(segmentsFromRecords([seg('22:00', '06:00', '0.3'), seg('06:00', '10:00', '1'), seg('10:00', '22:00', '0.3')]), 'CNY');
    expect(r.ok && r.model.tiers.filter((t) => t.used).length).toBe(2);
    expect(r.ok && r.model.slots[0]).toBe(1);
    expect(r.ok && r.model.slots[12]).toBe(0);
  });

  it('accepts a quarter-hour boundary when both halves of the slot cost the same', () => {
    const r = toYkcBillingModel(segmentsFromRecords([seg('00:00', '08:15', '1'), seg('08:15', '09:00', '1'), seg('09:00', '24:00', '2')]), 'CNY');
    expect(r.ok).toBe(true);
  });

  it('refuses a price change on a quarter-hour, naming the slot and the segments', () => {
    const r = toYkcBillingModel(segmentsFromRecords([seg('00:00', '08:15', '1'), seg('08:15', '24:00', '2')]), 'CNY');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reasons).toEqual([
      'half-hour slot 08:00–08:30 would need two prices (segment 1 (00:00–08:15) until 08:15, segment 2 (08:15–24:00) from 08:15); YKC chargers price whole half-hours',
    ]);
  });

  it('refuses five price pairs, and a currency other than CNY', () => {
    const five = segmentsFromRecords(
      ['1', '2', '3', '4', '5'].map((p, i) => seg(`${String(i * 4).padStart(2, '0')}:00`, i === 4 ? '24:00' : `${String(i * 4 + 4).padStart(2, '0')}:00`, p)),
    );
    const r = toYkcBillingModel(five, 'EUR');
    expect(!r.ok && r.reasons).toEqual([
      'YKC chargers bill in CNY; this plan is in EUR',
      'the plan has 5 different price pairs (energy price + service fee); YKC chargers hold at most 4 tiers',
    ]);
  });

  it('carries prices ×10^5 as the wire does', () => {
    expect(toYkcPriceUnits(Exact.parse('0.6800'))).toBe(68_000);
    expect(toYkcPriceUnits(Exact.parse('1.2345'))).toBe(123_450);
    // The bridge reads the rates as GraphQL Int: the bound is 2^31−1, not the field's u32.
    expect(toYkcPriceUnits(Exact.parse('21474.8364'))).toBe(2_147_483_640);
    expect(() => toYkcPriceUnits(Exact.parse('21474.8365'))).toThrow('does not fit the YKC field');
  });

  it('numbers a model by its prices and slots: the same prices one number, other prices another, never 0000', () => {
    const model = (segments: ReturnType<typeof seg>[]) => {
      const r = toYkcBillingModel(segmentsFromRecords(segments), 'CNY');
      if (!r.ok) throw new Error(r.reasons.join('; '));
      return r.model;
    };
    const example = model(EXAMPLE_SEGMENTS);
    expect(ykcModelNumber(example)).toMatch(/^(?!0000)\d{4}$/);
    // another plan, or a new version, with the same prices: the pile already holds them
    expect(ykcModelNumber(model(EXAMPLE_SEGMENTS.map((s) => ({ ...s }))))).toBe(ykcModelNumber(example));
    // The plan-and-version number let two plans share one (1 in 100 for the same version): a pile moved
    // between them was told its model was current and kept the old prices. Now a price or a slot's tier
    // that changes changes the number (but for a 1-in-9,999 collision, which these fixed cases don't hit).
    const flat = (price: string) => ykcModelNumber(model([seg('00:00', '24:00', price)]));
    expect(flat('1.0001')).not.toBe(flat('1.0000'));
    expect(ykcModelNumber(model([seg('00:00', '08:00', '1'), seg('08:00', '24:00', '2')]))).not.toBe(
      ykcModelNumber(model([seg('00:00', '08:30', '1'), seg('08:30', '24:00', '2')])),
    );
  });
});
