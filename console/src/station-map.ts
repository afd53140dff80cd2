/**
 * The stations map without a tile server (the console must work offline): stations are
 * plotted by longitude/latitude on a plain equirectangular plane with a graticule, fitted to
 * the stations shown. At a city's or a country's scale the distortion does not matter here:
 * the map is for finding a station, not for measuring.
 */

export interface Located {
  latitude?: number | null;
  longitude?: number | null;
}

export interface Viewport {
  width: number;
  height: number;
  padding: number;
}

export interface Projection {
  /** degrees → SVG pixels (y grows downwards, north up) */
  point(lon: number, lat: number): { x: number; y: number };
  /** graticule lines, at a step that gives a handful of them */
  meridians: { lon: number; x: number }[];
  parallels: { lat: number; y: number }[];
  step: number;
}

const STEPS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 45];

export const hasPosition = <T extends Located>(s: T): s is T & { latitude: number; longitude: number } =>
  typeof s.latitude === 'number' && typeof s.longitude === 'number';

/**
 * Fits the stations with a position into the viewport, keeping degrees square (one degree of
 * longitude as wide as one of latitude is tall) so the layout is not stretched; a single
 * station (or none) gets a small window around it.
 */
export function fit(stations: readonly Located[], vp: Viewport): Projection {
  const placed = stations.filter(hasPosition);
  const lons = placed.map((s) => s.longitude);
  const lats = placed.map((s) => s.latitude);
  let [west, east] = placed.length ? [Math.min(...lons), Math.max(...lons)] : [73, 135];
  let [south, north] = placed.length ? [Math.min(...lats), Math.max(...lats)] : [18, 54];
  const min = 0.01;
  if (east - west < min) [west, east] = [(west + east) / 2 - min / 2, (west + east) / 2 + min / 2];
  if (north - south < min) [south, north] = [(south + north) / 2 - min / 2, (south + north) / 2 + min / 2];
  const w = vp.width - 2 * vp.padding;
  const h = vp.height - 2 * vp.padding;
  const scale = Math.min(w / (east - west), h / (north - south));
  // centre the stations' box in the viewport
  const ox = vp.padding + (w - (east - west) * scale) / 2;
  const oy = vp.padding + (h - (north - south) * scale) / 2;
  const point = (lon: number, lat: number) => ({ x: ox + (lon - west) * scale, y: oy + (north - lat) * scale });
  // the degrees the whole viewport spans, for the graticule
  const spanLon = vp.width / scale;
  const spanLat = vp.height / scale;
  const step = STEPS.find((s) => Math.max(spanLon, spanLat) / s <= 8) ?? 45;
  const lonAt = (x: number) => west + (x - ox) / scale;
  const latAt = (y: number) => north - (y - oy) / scale;
  const lines = (from: number, to: number) => {
    const out: number[] = [];
    for (let i = Math.ceil(from / step); i * step <= to; i++) out.push(Number((i * step).toFixed(6)));
    return out;
  };
  return {
    point,
    step,
    meridians: lines(lonAt(0), lonAt(vp.width)).map((lon) => ({ lon, x: point(lon, 0).x })),
    parallels: lines(latAt(vp.height), latAt(0)).map((lat) => ({ lat, y: point(0, lat).y })),
  };
}

/** A graticule label: 121.5°E, 31.2°N (as many decimals as the step needs). */
export function degrees(value: number, axis: 'lon' | 'lat', step: number): string {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const hemi = axis === 'lon' ? (value < 0 ? 'W' : 'E') : value < 0 ? 'S' : 'N';
  return `${Math.abs(value).toFixed(decimals)}°${hemi}`;
}
