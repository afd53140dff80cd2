import { judgeReadings } from '../src/domain/meter';
import { assertTransition, canTransition, ORDER_STATES, statesLeadingTo } from '../src/domain/states';

describe('order state machine', () => {
  it('allows the documented path and nothing out of order', () => {
    const path = ['PENDING', 'CHARGING', 'FINISHING', 'COMPLETED', 'TO_PAY', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1], path[i])).toBe(true);
    expect(canTransition('PENDING', 'FAILED')).toBe(true);
    expect(canTransition('COMPLETED', 'CHARGING')).toBe(false);
    expect(canTransition('FAILED', 'CHARGING')).toBe(false);
    expect(canTransition('REFUNDED', 'PAID')).toBe(false);
    expect(() => assertTransition('PAID', 'CHARGING')).toThrow('An order in state PAID cannot become CHARGING');
  });

  it('terminal states lead nowhere; every state but PENDING is reachable', () => {
    for (const s of ORDER_STATES) if (s !== 'PENDING') expect({ s, from: statesLeadingTo(s).length > 0 }).toEqual({ s, from: true });
    expect(ORDER_STATES.filter((s) => ORDER_STATES.every((t) => !canTransition(s, t)))).toEqual(['FAILED', 'REFUNDED']);
  });
});

describe('meter readings', () => {
  const t = (m: number) => new Date(Date.UTC(2026, 10, 24, 9, m));
  const ctx = { startedAt: t(0), meterStartWh: 1000, stoppedAt: null, accepted: [{ at: t(10), registerWh: 2000 }], now: t(30) };

  it('judges each reading against its neighbours in time, not arrival order', () => {
    const v = judgeReadings(
      [
        { at: t(20), registerWh: 3000 },
        { at: t(5), registerWh: 1500 },
        { at: t(15), registerWh: 1900 },
      ],
      ctx,
    );
    expect(v.map((x) => [x.reading.registerWh, x.problem])).toEqual([
      [1500, null],
      [1900, 'BACKWARDS'],
      [3000, null],
    ]);
  });

  it('flags readings before the start, far in the future or after the stop', () => {
    expect(judgeReadings([{ at: new Date(t(0).getTime() - 1), registerWh: 1000 }], ctx)[0].problem).toBe('BEFORE_START');
    expect(judgeReadings([{ at: t(40), registerWh: 5000 }], ctx)[0].problem).toBe('IN_FUTURE');
    expect(judgeReadings([{ at: t(34), registerWh: 5000 }], ctx)[0].problem).toBeNull(); // within the clock tolerance
    expect(judgeReadings([{ at: t(25), registerWh: 5000 }], { ...ctx, stoppedAt: t(20) })[0].problem).toBe('AFTER_STOP');
  });
});
