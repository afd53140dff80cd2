import { describe, expect, it } from 'vitest';
import { degrees, fit } from '../src/station-map';

const vp = { width: 600, height: 400, padding: 40 };

describe('the offline stations map', () => {
  it('fits the stations inside the padding, north up and east right, degrees square', () => {
    const p = fit(
      [
        { longitude: 121.4, latitude: 31.1 },
        { longitude: 121.6, latitude: 31.3 },
        { longitude: null, latitude: null },
      ],
      vp,
    );
    const sw = p.point(121.4, 31.1);
    const ne = p.point(121.6, 31.3);
    expect(ne.x).toBeGreaterThan(sw.x);
    expect(ne.y).toBeLessThan(sw.y);
    for (const q of [sw, ne]) {
      expect(q.x).toBeGreaterThanOrEqual(40 - 1e-9);
      expect(q.x).toBeLessThanOrEqual(560 + 1e-9);
      expect(q.y).toBeGreaterThanOrEqual(40 - 1e-9);
      expect(q.y).toBeLessThanOrEqual(360 + 1e-9);
    }
    // 0.2° each way: as wide as tall
    expect(ne.x - sw.x).toBeCloseTo(sw.y - ne.y, 6);
    expect(p.meridians.length).toBeGreaterThan(1);
    expect(p.parallels.length).toBeGreaterThan(1);
    expect(p.meridians.every((m) => m.x >= 0 && m.x <= 600)).toBe(true);
  });

  it('gives a single station (or none) a window of its own instead of dividing by zero', () => {
    const one = fit([{ longitude: 121.5, latitude: 31.2 }], vp);
    const c = one.point(121.5, 31.2);
    expect(c.x).toBeCloseTo(300, 6);
    expect(c.y).toBeCloseTo(200, 6);
    const none = fit([], vp);
    expect(Number.isFinite(none.point(100, 30).x)).toBe(true);
  });

  it('labels the graticule with hemispheres and the decimals its step needs', () => {
    expect(degrees(121.5, 'lon', 0.1)).toBe('121.5°E');
    expect(degrees(-33.25, 'lat', 0.05)).toBe('33.25°S');
    expect(degrees(31, 'lat', 1)).toBe('31°N');
  });
});
