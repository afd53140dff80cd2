import { AppError, ErrorCodes, formatMoney, money } from '@evcs/platform';
import { powerW, socPercent } from '../src/events/charger-events-consumer';
import type { Bill, Pricer, PricingRequest } from '../src/domain/ports';
import { ProgressService, progressInput } from '../src/domain/progress';
import { transitionSource } from '../src/domain/timeline';
import { anOrder } from './builders';

const at = (hhmm: string) => new Date(`2026-11-24T${hhmm}:00Z`);

/** 1 fen per 10 Wh, in integer fen; records what it was asked. */
class TenthFenPricer implements Pricer {
  calls: PricingRequest[] = [];
  async price(req: PricingRequest): Promise<Bill> {
    this.calls.push(req);
    const total = money(Math.round(req.energyWh / 10), 'CNY');
    const zero = money(0, 'CNY');
    return {
      currency: 'CNY',
      planId: 'p',
      source: 'TENANT',
      planVersions: [1],
      timezone: 'UTC',
      electricityAmount: total,
      serviceAmount: zero,
      totalExact: formatMoney(total),
      total,
      items: [],
    };
  }
}

describe('session progress (pure)', () => {
  it('prices the session as if it stopped at the latest reading: the input the completion uses', () => {
    const readings = [
      { at: at('10:30'), registerWh: 4000, powerW: 7200, socPercent: 40 },
      { at: at('10:15'), registerWh: 2500 },
    ];
    const input = progressInput(anOrder(), readings)!;
    expect(input.latest).toEqual(readings[0]);
    expect(input.energyWh).toBe(3000);
    expect(input.request).toMatchObject({ startedAt: at('10:00'), stoppedAt: at('10:30'), energyWh: 3000 });
    expect(input.request!.readings.map((r) => [r.at.toISOString(), r.registerWh])).toEqual([
      ['2026-11-24T10:00:00.000Z', 1000],
      ['2026-11-24T10:15:00.000Z', 2500],
      ['2026-11-24T10:30:00.000Z', 4000],
    ]);
  });

  it('counts readings from zero while the meter start is unknown (YKC before its record)', () => {
    const input = progressInput(anOrder({ meterStartWh: null }), [{ at: at('10:20'), registerWh: 1500 }])!;
    expect(input.energyWh).toBe(1500);
    expect(input.request?.readings.map((r) => r.registerWh)).toEqual([0, 1500]);
  });

  it('is null for an order that ended, and has nothing to price before the first reading', () => {
    for (const state of ['COMPLETED', 'FAILED', 'TO_PAY', 'PAID'] as const) expect(progressInput(anOrder({ state }), [])).toBeNull();
    expect(progressInput(anOrder({ state: 'PENDING', startedAt: null }), [])).toMatchObject({ latest: null, energyWh: 0, request: null });
    expect(progressInput(anOrder(), [{ at: at('10:00'), registerWh: 1000 }])).toMatchObject({ energyWh: 0, request: null });
  });
});

describe('ProgressService', () => {
  it('gives energy, power, SoC and the running cost in minor units at the latest reading', async () => {
    const pricer = new TenthFenPricer();
    const p = await new ProgressService(pricer).progress(anOrder(), [{ at: at('10:30'), registerWh: 13_345, powerW: 22_000, socPercent: 61 }]);
    expect(p).toEqual({
      latest: { at: at('10:30'), registerWh: 13_345, powerW: 22_000, socPercent: 61 },
      meterWh: 13_345,
      energyWh: 12_345,
      cost: money(1235, 'CNY'),
    });
    expect(pricer.calls).toHaveLength(1);
  });

  it('has no meter register while the meter start is unknown, no cost before a reading, zero cost at the start', async () => {
    const s = new ProgressService(new TenthFenPricer());
    expect(await s.progress(anOrder({ meterStartWh: null }), [{ at: at('10:10'), registerWh: 500 }])).toMatchObject({ meterWh: null, energyWh: 500 });
    expect(await s.progress(anOrder(), [])).toEqual({ latest: null, meterWh: null, energyWh: 0, cost: null });
    expect((await s.progress(anOrder(), [{ at: at('10:00'), registerWh: 1000 }]))?.cost).toEqual(money(0, 'CNY'));
    expect(await s.progress(anOrder({ state: 'COMPLETED' }), [{ at: at('10:10'), registerWh: 2000 }])).toBeNull();
  });

  it('has no cost when the session cannot be priced; a pricing engine that is down is an error', async () => {
    const noPlan: Pricer = { price: () => Promise.reject(new AppError(ErrorCodes.NOT_FOUND, 'no plan')) };
    const down: Pricer = { price: () => Promise.reject(new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'down', { retriable: true })) };
    const readings = [{ at: at('10:10'), registerWh: 2000 }];
    expect((await new ProgressService(noPlan).progress(anOrder(), readings))?.cost).toBeNull();
    await expect(new ProgressService(down).progress(anOrder(), readings)).rejects.toMatchObject({ retriable: true });
  });
});

describe('power and state of charge out of meter samples', () => {
  const power = (value: string, unit?: string, phase?: string) => ({ measurand: 'Power.Active.Import', value, unit, phase });
  it('power in W or kW, exactly, the total before the phases', () => {
    expect(powerW([power('7200', 'W')])).toBe(7200);
    expect(powerW([power('7.2005', 'kW')])).toBe(7201);
    expect(powerW([power('2400', 'W', 'L1'), power('2400', 'W', 'L2'), power('2.4', 'kW', 'L3')])).toBe(7200);
    expect(powerW([power('2400', 'W', 'L1'), power('7000', 'W')])).toBe(7000);
    expect(powerW([power('-5', 'W'), power('7', 'Wh'), { measurand: 'Energy.Active.Import.Register', value: '5', unit: 'Wh' }])).toBeNull();
  });
  it('SoC in whole percent, 0..100, with or without its unit', () => {
    expect(socPercent([{ measurand: 'SoC', value: '55.5', unit: 'Percent' }])).toBe(56);
    expect(socPercent([{ measurand: 'SoC', value: '80', unit: 'Wh' }])).toBe(80);
    expect(socPercent([{ measurand: 'SoC', value: '101', unit: 'Percent' }])).toBeNull();
    expect(socPercent([{ measurand: 'SoC', value: '40', unit: 'Celsius' }])).toBeNull();
  });
});

describe('order timeline: the source of a transition', () => {
  it('names who moved the order by its cause; a stop reason the charger sent is the charger’s', () => {
    const cases: [string | null, string][] = [
      ['REQUESTED', 'API'],
      ['STOP_REQUESTED', 'API'],
      ['STARTED', 'CHARGER'],
      ['START_REJECTED', 'CHARGER'],
      ['START_TIMEOUT', 'RECONCILIATION'],
      ['FORCE_CLOSED', 'OPERATOR'],
      ['FORCE_CLOSED: offline for good', 'OPERATOR'],
      ['PAYABLE', 'PAYMENT'],
      ['REFUND_SUCCEEDED', 'PAYMENT'],
      ['EVDisconnected', 'CHARGER'],
      [null, 'CHARGER'],
    ];
    expect(cases.map(([reason]) => [reason, transitionSource({ reason })])).toEqual(cases);
  });
});
