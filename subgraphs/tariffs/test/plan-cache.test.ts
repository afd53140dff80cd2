import { decodeTariffEvent, encodeTariffEvent, InvalidEventError, TariffEvent } from '@evcs/events';
import { PlanCache } from '../src/domain/plan-cache';

describe('PlanCache', () => {
  it('serves hits, drops a tenant on invalidation, and leaves other tenants alone', async () => {
    const cache = new PlanCache();
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('t1', 'k', load)).toBe(1);
    expect(await cache.get('t1', 'k', load)).toBe(1);
    expect(await cache.get('t2', 'k', load)).toBe(2);
    cache.invalidateTenant('t1');
    expect(await cache.get('t1', 'k', load)).toBe(3);
    expect(await cache.get('t2', 'k', load)).toBe(2);
  });

  it('never stores the result of a load that an invalidation overtook', async () => {
    const cache = new PlanCache();
    let release!: (v: string) => void;
    const slow = cache.get('t', 'k', () => new Promise<string>((r) => (release = r)));
    cache.invalidateTenant('t'); // the change committed while the old value was being read
    release('stale');
    expect(await slow).toBe('stale');
    expect(await cache.get('t', 'k', async () => 'fresh')).toBe('fresh');
  });

  it('expires entries after the TTL (the backstop for a lost event)', async () => {
    let now = 0;
    const cache = new PlanCache({ ttlMs: 1000, now: () => now });
    expect(await cache.get('t', 'k', async () => 'a')).toBe('a');
    now = 999;
    expect(await cache.get('t', 'k', async () => 'b')).toBe('a');
    now = 1000;
    expect(await cache.get('t', 'k', async () => 'c')).toBe('c');
  });

  it('shares one load between concurrent misses', async () => {
    const cache = new PlanCache();
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return loads;
    };
    expect(await Promise.all([cache.get('t', 'k', load), cache.get('t', 'k', load)])).toEqual([1, 1]);
  });
});

describe('tariff event contract', () => {
  const ev: TariffEvent = {
    id: '6f1c3a2e-2b7d-4c1e-9a55-0d3f1e2a4b6c',
    version: 1,
    type: 'tariff.plan_changed',
    tenantId: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed',
    occurredAt: '2026-03-02T00:00:00.000Z',
    data: { planId: '9b2e8f4a-5c1d-4e3f-8a7b-6c5d4e3f2a1b', stationId: null, change: 'VERSIONED', planVersion: 2, effectiveFrom: '2026-03-03T00:00:00.000Z' },
  };
  it('round-trips, keyed by tenant with routing headers', () => {
    const enc = encodeTariffEvent(ev);
    expect(enc.key).toBe(ev.tenantId);
    expect(enc.headers).toMatchObject({ 'event-type': 'tariff.plan_changed', 'event-version': '1', 'tenant-id': ev.tenantId });
    expect(decodeTariffEvent(enc.value)).toEqual(ev);
  });
  it('refuses what does not match, with the reason', () => {
    expect(() => decodeTariffEvent('{"type":"tariff.plan_changed"}')).toThrow(InvalidEventError);
    expect(() => decodeTariffEvent(JSON.stringify({ ...ev, data: { ...ev.data, change: 'EXPLODED' } }))).toThrow(/change/);
  });
});
