import { AppError, ErrorCodes, serviceAuditActor } from '@evcs/platform';
import { AssetService } from '../src/domain/asset-service';
import type { AssetStore, TenantQuotaPort } from '../src/domain/ports';
import { StaticTenantQuotas } from '../src/domain/quota';

const AUDIT = serviceAuditActor('asset-service-test');

const TENANT = '0f9c1a52-4a1d-4b8e-9a53-2d2b1f0c3e11';
const STATION = '5b1f6a3e-3f5e-4c55-9d2c-0d4d1b6f7a10';
const OTHER_STATION = '7c2e8b4f-1a6d-4e3b-8f5a-9b0c1d2e3f40';

/** A store that records what reached it and answers ok with the input echoed. */
function recordingStore() {
  const calls: { method: string; args: unknown[] }[] = [];
  const store = new Proxy({} as AssetStore, {
    get:
      (_t, method: string) =>
      async (...args: unknown[]) => {
        calls.push({ method, args });
        return { ok: true, value: { id: 'x' } };
      },
  });
  return { store, calls };
}

describe('AssetService', () => {
  it('asks for quotas only for valid creations, and passes the limits to the store', async () => {
    const { store, calls } = recordingStore();
    const asked: string[] = [];
    const quotas: TenantQuotaPort = { quotasOf: async (t) => (asked.push(t), { tenantId: t, maxStations: 3, maxChargers: 7 }) };
    const svc = new AssetService(store, quotas);
    const invalid = await svc.createStation({ tenantId: TENANT, stationIds: null, audit: AUDIT }, { code: '', name: '' });
    expect(invalid.ok).toBe(false);
    expect(asked).toEqual([]);
    await svc.createStation({ tenantId: TENANT, stationIds: null, audit: AUDIT }, { code: 'S', name: 'S' });
    await svc.createCharger(
      { tenantId: TENANT, stationIds: null, audit: AUDIT },
      { stationId: STATION, code: 'C', protocol: 'OCPP16', currentType: 'AC', ratedPowerKw: '7' },
    );
    expect(asked).toEqual([TENANT, TENANT]);
    expect(calls.map((c) => [c.method, c.args[0], c.args[2]])).toEqual([
      ['createStation', TENANT, 3],
      ['createCharger', TENANT, 7],
    ]);
  });

  it('an unknown tenant creates nothing; an unavailable tenants service is an error, never "unlimited"', async () => {
    const { store, calls } = recordingStore();
    const unknown = new AssetService(store, new StaticTenantQuotas({}));
    expect(await unknown.createStation({ tenantId: TENANT, stationIds: null, audit: AUDIT }, { code: 'S', name: 'S' })).toEqual({
      ok: false,
      errors: [expect.objectContaining({ code: 'UNKNOWN_TENANT' })],
    });
    const down = new AssetService(store, {
      quotasOf: async () => {
        throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'down', { retriable: true });
      },
    });
    await expect(down.createStation({ tenantId: TENANT, stationIds: null, audit: AUDIT }, { code: 'S', name: 'S' })).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      retriable: true,
    });
    expect(calls).toEqual([]);
  });

  it('a station-scoped actor works within its stations only and never creates or retires stations', async () => {
    const { store, calls } = recordingStore();
    const svc = new AssetService(store, new StaticTenantQuotas('unlimited'));
    const mgr = { tenantId: TENANT, stationIds: [STATION], audit: AUDIT };
    await expect(svc.createStation(mgr, { code: 'S', name: 'S' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(svc.retireStation(mgr, STATION, null)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await svc.updateStation(mgr, OTHER_STATION, { name: 'x' }, null)).ok).toBe(false);
    expect((await svc.updateStation(mgr, STATION, { name: 'x' }, null)).ok).toBe(true);
    const elsewhere = await svc.createCharger(mgr, { stationId: OTHER_STATION, code: 'C', protocol: 'OCPP16', currentType: 'AC', ratedPowerKw: '7' });
    expect(elsewhere).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'NOT_FOUND', field: 'stationId' })] });
    const move = await svc.updateCharger(mgr, STATION, { stationId: OTHER_STATION }, null);
    expect(move).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'NOT_FOUND', field: 'stationId' })] });
    // what reached the store carries the actor's station restriction
    expect(calls.map((c) => c.method)).toEqual(['updateStation']);
    expect(calls[0].args[4]).toEqual([STATION]);
  });

  it('ids that are not UUIDs are simply not found (never a database error)', async () => {
    const { store, calls } = recordingStore();
    const svc = new AssetService(store, new StaticTenantQuotas('unlimited'));
    const actor = { tenantId: TENANT, stationIds: null, audit: AUDIT };
    for (const r of [
      await svc.updateStation(actor, 'nope', { name: 'x' }, null),
      await svc.retireStation(actor, 'nope', null),
      await svc.updateCharger(actor, 'nope', {}, null),
      await svc.retireCharger(actor, 'nope', null),
      await svc.createConnector(actor, 'nope', { connectorNo: 1 }),
      await svc.updateConnector(actor, 'nope', {}, null),
      await svc.retireConnector(actor, 'nope', null),
    ]) {
      expect(r).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'NOT_FOUND' })] });
    }
    expect(calls).toEqual([]);
  });
});
