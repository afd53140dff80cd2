import { toYkcBillingModel } from '../../src/ykc/billing-plan';

const PILE = '55031412782305';

describe('platform tariff → YKC billing model', () => {
  it('maps up to four price pairs onto tiers, dearest first, with segments crossing midnight', () => {
    const r = toYkcBillingModel(PILE, '0007', [
      { start: '22:00', end: '08:00', energyPrice: '0.3', serviceFee: '0.4' },
      { start: '08:00', end: '10:00', energyPrice: '1.0', serviceFee: '0.4' },
      { start: '10:00', end: '12:00', energyPrice: '1.2', serviceFee: '0.4' },
      { start: '12:00', end: '22:00', energyPrice: '0.7', serviceFee: '0.4' },
    ]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.model.tiers).toEqual([
      { electricity: 120_000, service: 40_000 },
      { electricity: 100_000, service: 40_000 },
      { electricity: 70_000, service: 40_000 },
      { electricity: 30_000, service: 40_000 },
    ]);
    expect(r.model.slots).toEqual([...Array(16).fill(3), ...Array(4).fill(1), ...Array(4).fill(0), ...Array(20).fill(2), ...Array(4).fill(3)]);
  });

  it('fills unused tiers with the cheapest price and accepts 24:00', () => {
    const r = toYkcBillingModel(PILE, '0001', [{ start: '00:00', end: '24:00', energyPrice: '1.23456', serviceFee: '0' }]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.model.tiers.every((t) => t.electricity === 123_456 && t.service === 0)).toBe(true);
    expect(new Set(r.model.slots)).toEqual(new Set([0]));
  });

  it('refuses what YKC cannot represent, saying why', () => {
    const day = (extra: { start: string; end: string; energyPrice: string; serviceFee: string }[]) => toYkcBillingModel(PILE, '0001', extra);
    expect(day([{ start: '00:00', end: '10:15', energyPrice: '1', serviceFee: '0' }, { start: '10:15', end: '24:00', energyPrice: '2', serviceFee: '0' }])).toEqual({
      ok: false,
      reason: 'the price changes at 10:15; YKC can only change prices on the half hour',
    });
    expect(day([{ start: '00:00', end: '12:00', energyPrice: '1', serviceFee: '0' }])).toMatchObject({ ok: false, reason: expect.stringContaining('no price at 12:00') });
    expect(
      day(['1', '2', '3', '4', '5'].map((p, i) => ({ start: `${String(i * 4).padStart(2, '0')}:00`, end: i === 4 ? '24:00' : `${String(i * 4 + 4).padStart(2, '0')}:00`, energyPrice: p, serviceFee: '0' }))),
    ).toMatchObject({ ok: false, reason: '5 distinct prices; YKC models have at most 4 tiers' });
    expect(day([{ start: '00:00', end: '24:00', energyPrice: '1', serviceFee: '0' }, { start: '01:00', end: '02:00', energyPrice: '1', serviceFee: '0' }])).toMatchObject({
      ok: false,
      reason: 'segments overlap at 01:00',
    });
    expect(day([{ start: '00:00', end: '24:00', energyPrice: '1.000001', serviceFee: '0' }])).toMatchObject({ ok: false });
  });
});
