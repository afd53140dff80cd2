import { describe, expect, it } from 'vitest';
import { formatInZone, hourlyTrend, localDate, localHour, revenueText } from '../src/statistics';

describe('statistics as the console shows them', () => {
  it("takes today from the named zone's calendar, not the browser's", () => {
    const at = new Date('2026-12-03T17:30:00Z');
    expect(localDate(at, 'Asia/Shanghai')).toBe('2026-12-04');
    expect(localDate(at, 'UTC')).toBe('2026-12-03');
    expect(localDate(at, 'America/Los_Angeles')).toBe('2026-12-03');
    expect(localHour(at, 'Asia/Shanghai')).toBe('01');
    expect(localHour(new Date('2026-12-03T16:00:00Z'), 'Asia/Shanghai')).toBe('00');
  });

  it("places the API's buckets on the zone's 24 hours, the empty ones at zero", () => {
    const t = hourlyTrend(
      [
        { start: '2026-12-02T16:00:00.000Z', sessions: 2, energy: { kwh: '3.500' } },
        { start: '2026-12-03T02:00:00.000Z', sessions: 1, energy: { kwh: '0.001' } },
      ],
      'Asia/Shanghai',
    );
    expect(t.hours).toHaveLength(24);
    expect(t.hours[0]).toBe('00:00');
    expect(t.sessions[0]).toBe(2);
    expect(t.sessions[10]).toBe(1);
    expect(t.sessions.reduce((a, b) => a + b, 0)).toBe(3);
    expect(t.energyKwh[0]).toBe(3.5);
  });

  it('shows revenue as the API formatted it, per currency', () => {
    expect(revenueText([])).toBe('0');
    expect(revenueText([{ formatted: '0.30', currency: 'CNY' }])).toBe('0.30 CNY');
    expect(
      revenueText([
        { formatted: '1.10', currency: 'CNY' },
        { formatted: '5', currency: 'JPY' },
      ]),
    ).toBe('1.10 CNY + 5 JPY');
  });

  it("shows an instant on the named zone's clock, naming the zone", () => {
    expect(formatInZone('2026-12-03T14:42:32.123Z', 'Asia/Shanghai')).toBe('2026-12-03 22:42:32 Asia/Shanghai');
    expect(formatInZone('2026-12-03T16:05:00Z', 'Asia/Shanghai')).toBe('2026-12-04 00:05:00 Asia/Shanghai');
    expect(formatInZone(null, 'UTC')).toBe('—');
  });
});
