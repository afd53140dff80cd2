import { describe, expect, it } from 'vitest';
import {
  applyRange,
  clockToSlot,
  colourScale,
  coverage,
  DragSelection,
  formatUnits,
  isValid,
  PALETTE,
  priceUnits,
  type Segment,
  slotsOf,
  slotToClock,
  totalPrice,
  kwhToWh,
  localDay,
  zonedInstant,
} from '../src/views/tariffs/editor';

const seg = (start: string, end: string, energyPrice = '1.0000', serviceFee = '0.0000'): Segment => ({ start, end, energyPrice, serviceFee });
/** The demo tenant's plan (the tariffs issue's example). */
const DEMO = [seg('00:00', '08:00', '0.6800', '0.3500'), seg('08:00', '18:00', '0.8500', '0.4000'), seg('18:00', '24:00', '0.7800', '0.3800')];

describe('quarter-hours ↔ clock times', () => {
  it('maps HH:MM on quarter-hours to slots and back, 24:00 being the end of the day', () => {
    expect(clockToSlot('00:00')).toBe(0);
    expect(clockToSlot('08:15')).toBe(33);
    expect(clockToSlot('24:00')).toBe(96);
    expect(['08:10', '24:15', '8:00', '12:60', 'xx:00'].map(clockToSlot)).toEqual([null, null, null, null, null]);
    expect([0, 33, 95, 96].map(slotToClock)).toEqual(['00:00', '08:15', '23:45', '24:00']);
  });

  it('gives the slots of a segment, wrapping one that crosses midnight; "00:00" as an end is midnight', () => {
    expect(slotsOf(seg('08:00', '09:00'))).toEqual([32, 33, 34, 35]);
    expect(slotsOf(seg('23:30', '00:30'))).toEqual([94, 95, 0, 1]);
    expect(slotsOf(seg('18:00', '00:00'))).toHaveLength(24);
    expect(slotsOf(seg('00:00', '24:00'))).toHaveLength(96);
    expect(slotsOf(seg('08:00', '08:00'))).toBeNull();
    expect(slotsOf(seg('24:00', '01:00'))).toBeNull();
  });
});

describe('coverage: overlaps and gaps, where they are', () => {
  it('accepts the demo plan', () => {
    const c = coverage(DEMO);
    expect(c.problems).toEqual([]);
    expect(c.state.every((s) => s === 'ok')).toBe(true);
    expect(isValid(DEMO)).toBe(true);
  });

  it('reports each overlapping run with its segments, and each gap', () => {
    const c = coverage([seg('00:00', '08:00'), seg('07:00', '12:00'), seg('13:00', '24:00')]);
    expect(c.problems).toEqual([
      { kind: 'overlap', range: { from: 28, to: 32 }, segments: [0, 1] },
      { kind: 'gap', range: { from: 48, to: 52 }, segments: [] },
    ]);
    expect(c.state[28]).toBe('overlap');
    expect(c.state[27]).toBe('ok');
    expect(c.state[50]).toBe('gap');
    expect(c.owners[30]).toEqual([0, 1]);
    expect(isValid([seg('00:00', '08:00')])).toBe(false);
    expect(isValid([])).toBe(false);
  });

  it('reports a malformed segment (times or prices) as invalid, without taking it for coverage', () => {
    const c = coverage([seg('00:00', '12:00'), seg('12:00', '24:00', '0.12345'), seg('12:10', '13:00')]);
    expect(c.problems.filter((p) => p.kind === 'invalid').map((p) => p.segments)).toEqual([[1], [2]]);
    expect(c.problems.find((p) => p.kind === 'gap')?.range).toEqual({ from: 48, to: 96 });
  });
});

describe('applyRange: a dragged range priced', () => {
  it('cuts the range out of the segments it touches and adds it as one segment, prices at 4 places', () => {
    const out = applyRange(DEMO, { from: 28, to: 36 }, { energyPrice: '1.2', serviceFee: '0.5' }); // 07:00–09:00
    expect(out).toEqual([
      seg('00:00', '07:00', '0.6800', '0.3500'),
      seg('07:00', '09:00', '1.2000', '0.5000'),
      seg('09:00', '18:00', '0.8500', '0.4000'),
      seg('18:00', '24:00', '0.7800', '0.3800'),
    ]);
    expect(isValid(out)).toBe(true);
  });

  it('splits a segment in two when the range is inside it, and joins neighbours that end up with equal prices', () => {
    const inside = applyRange(DEMO, { from: 40, to: 44 }, { energyPrice: '2', serviceFee: '0' });
    expect(inside.map((s) => `${s.start}-${s.end}`)).toEqual(['00:00-08:00', '08:00-10:00', '10:00-11:00', '11:00-18:00', '18:00-24:00']);
    const back = applyRange(inside, { from: 40, to: 44 }, { energyPrice: '0.85', serviceFee: '0.4' });
    expect(back).toEqual(DEMO);
  });

  it('cuts a segment crossing midnight into its pieces', () => {
    const out = applyRange([seg('22:00', '06:00', '0.3'), seg('06:00', '22:00', '0.9')], { from: 0, to: 4 }, { energyPrice: '0.1', serviceFee: '0' });
    expect(out.map((s) => `${s.start}-${s.end}:${s.energyPrice}`)).toEqual(['00:00-01:00:0.1000', '01:00-06:00:0.3', '06:00-22:00:0.9', '22:00-24:00:0.3']);
    expect(isValid(out)).toBe(true);
  });

  it('fills a gap, and leaves an overlap elsewhere where it is', () => {
    const out = applyRange(
      [seg('00:00', '10:00'), seg('09:00', '12:00', '2'), seg('13:00', '24:00')],
      { from: 48, to: 52 },
      { energyPrice: '1', serviceFee: '0' },
    );
    const c = coverage(out);
    expect(c.problems).toEqual([{ kind: 'overlap', range: { from: 36, to: 40 }, segments: [0, 1] }]);
  });
});

describe('drag selection', () => {
  it('selects from the slot pressed to the one the pointer is over, either way, and ends with the range', () => {
    const d = new DragSelection();
    d.move(10);
    expect(d.range).toBeNull();
    d.start(40);
    d.move(44);
    expect(d.range).toEqual({ from: 40, to: 45 });
    d.move(30);
    expect(d.range).toEqual({ from: 30, to: 41 });
    expect(d.end()).toEqual({ from: 30, to: 41 });
    expect(d.active).toBe(false);
    d.start(5);
    expect(d.end()).toEqual({ from: 5, to: 6 });
    d.start(-3);
    d.move(200);
    expect(d.end()).toEqual({ from: 0, to: 96 });
  });
});

describe('prices and the colour scale', () => {
  it('adds prices exactly (no floats)', () => {
    expect(totalPrice({ energyPrice: '0.1', serviceFee: '0.2' })).toBe('0.3000');
    expect(priceUnits('12.3456')).toBe(123456);
    expect(formatUnits(5)).toBe('0.0005');
  });

  it('gives the cheapest the first colour and the dearest the last, equal prices one colour', () => {
    const colour = colourScale(DEMO);
    expect(colour(DEMO[0])).toBe(PALETTE[0]);
    expect(colour(DEMO[1])).toBe(PALETTE[PALETTE.length - 1]);
    expect(colour({ energyPrice: '0.78', serviceFee: '0.38' })).toBe(PALETTE[2]); // 1.16 of 1.03..1.25: step round(0.13 × 4 / 0.22) = 2
    expect(colourScale([DEMO[0]])(DEMO[0])).toBe(PALETTE[0]);
  });
});

describe('sample sessions', () => {
  it('takes kWh as exact Wh', () => {
    expect(kwhToWh('12.5')).toBe('12500');
    expect(kwhToWh('0.001')).toBe('1');
    expect(['0', '', '1.2345', '-1', '1e3'].map(kwhToWh)).toEqual([null, null, null, null, null]);
  });

  it("places a wall-clock time of the plan's zone on the UTC time line", () => {
    expect(zonedInstant('2026-03-02', 7 * 60, 'Asia/Shanghai').toISOString()).toBe('2026-03-01T23:00:00.000Z');
    expect(zonedInstant('2026-07-01', 90, 'Europe/Berlin').toISOString()).toBe('2026-06-30T23:30:00.000Z');
    expect(localDay(new Date('2026-03-01T17:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-02');
  });
});
