import { money } from '@evcs/platform';
import { ImpactAccumulator, draftPlan, TariffImpactService } from '../src/domain/impact';
import { validateSegments } from '../src/domain/plan';
import type { CompletedSessions, CompletedSessionUsage } from '../src/domain/ports';

const FLAT = [{ start: '00:00', end: '24:00', energyPrice: '1.0000', serviceFee: '0.5000' }];
const segments = () => {
  const v = validateSegments(FLAT);
  if (!v.ok) throw new Error('invalid');
  return v.segments;
};
const session = (startIso: string, minutes: number, energyWh: number, billedMinor: number, currency = 'CNY'): CompletedSessionUsage => ({
  orderId: `o-${startIso}`,
  chargerId: null,
  startedAt: new Date(startIso),
  stoppedAt: new Date(new Date(startIso).getTime() + minutes * 60_000),
  energyWh: String(energyWh),
  readings: [],
  billed: money(billedMinor, currency),
});

describe('tariff impact: the running totals', () => {
  it('buckets by the local hour of the start in the draft’s zone (DST included) and sums exact minor units', () => {
    const acc = new ImpactAccumulator(draftPlan(segments(), 'CNY', 'Europe/Berlin'));
    acc.add(session('2026-07-01T10:00:00Z', 30, 1_000, 100)); // 12:00 CEST; draft 1.50
    acc.add(session('2026-01-15T10:00:00Z', 30, 333, 100)); // 11:00 CET; draft 0.4995 → 0.50
    const r = acc.result({ stationId: 's', from: new Date(0), to: new Date(1) });
    expect(r.hours[12]).toMatchObject({ sessions: 1, draft: money(150, 'CNY'), difference: money(50, 'CNY') });
    expect(r.hours[11]).toMatchObject({ sessions: 1, draft: money(50, 'CNY'), difference: money(-50, 'CNY') });
    expect(r.total).toEqual({ sessions: 2, energyWh: 1_333n, billed: money(200, 'CNY'), draft: money(200, 'CNY'), difference: money(0, 'CNY') });
  });

  it('counts apart, without comparing, sessions billed in another currency and sessions the engine refuses', () => {
    const acc = new ImpactAccumulator(draftPlan(segments(), 'CNY', 'Asia/Shanghai'));
    acc.add(session('2026-07-01T10:00:00Z', 30, 1_000, 100, 'JPY'));
    acc.add(session('2026-07-01T10:00:00Z', 32 * 24 * 60, 1_000, 100)); // longer than the engine prices in one call
    const r = acc.result({ stationId: 's', from: new Date(0), to: new Date(1) });
    expect([r.otherCurrencySessions, r.unpricedSessions, r.total.sessions]).toEqual([1, 1, 0]);
  });
});

describe('tariff impact: the service', () => {
  /** Pages of a list, following the cursor it hands out (the port's contract; orders implements it over HTTP). */
  class Pages implements CompletedSessions {
    readonly asked: (string | null)[] = [];
    constructor(private readonly all: CompletedSessionUsage[]) {}
    async page(_t: string, _s: string, _w: { from: Date; to: Date }, p: { first: number; after: string | null }) {
      this.asked.push(p.after);
      const start = p.after ? Number(p.after) : 0;
      const sessions = this.all.slice(start, start + p.first);
      const end = start + sessions.length;
      return { sessions, hasNextPage: end < this.all.length, endCursor: String(end) };
    }
  }
  const STATION = '6f1c3c1e-3f5b-4a7e-9a55-6c1d2a1e0b11';
  const cmd = { stationId: STATION, segments: FLAT, from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-07-02T00:00:00Z') };

  it('follows the cursor page by page and folds every session in once', async () => {
    const pages = new Pages(Array.from({ length: 5 }, (_, i) => session(`2026-07-01T0${i}:00:00Z`, 30, 1_000, 100)));
    const r = await new TariffImpactService(pages, 2).impact({ tenantId: 't', stationIds: null }, cmd);
    expect(pages.asked).toEqual([null, '2', '4']);
    expect(r.ok && r.value.total).toMatchObject({ sessions: 5, draft: money(750, 'CNY'), difference: money(250, 'CNY') });
  });

  it('refuses a station outside a station-scoped caller’s, and is unavailable without orders', async () => {
    const out = await new TariffImpactService(new Pages([])).impact({ tenantId: 't', stationIds: ['x'] }, cmd);
    expect(out).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'OUT_OF_SCOPE', field: 'stationId' })] });
    await expect(new TariffImpactService().impact({ tenantId: 't', stationIds: null }, cmd)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });
});
