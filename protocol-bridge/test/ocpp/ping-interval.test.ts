import { pingIntervalOf } from '../../src/ocpp/server';

describe('pingIntervalOf: each connection pings on its own period', () => {
  it('stays within ±10 % of the configured period, at both ends of the random range', () => {
    expect(pingIntervalOf(30_000, () => 0)).toBe(27_000);
    expect(pingIntervalOf(30_000, () => 0.5)).toBe(30_000);
    expect(pingIntervalOf(30_000, () => 0.999999)).toBe(33_000);
  });

  it('spreads connections over the range, so pings that fired together drift apart', () => {
    const periods = new Set(Array.from({ length: 1000 }, () => pingIntervalOf(30_000)));
    expect(Math.min(...periods)).toBeGreaterThanOrEqual(27_000);
    expect(Math.max(...periods)).toBeLessThanOrEqual(33_000);
    expect(periods.size).toBeGreaterThan(500);
  });

  it('leaves pings off when they are off', () => {
    expect(pingIntervalOf(0)).toBe(0);
  });
});
