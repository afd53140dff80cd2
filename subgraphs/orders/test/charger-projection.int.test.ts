import { randomUUID } from 'node:crypto';
import { createKnex, Knex, withTenant } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';
import { aChargerInfo, assetEventMessage } from './builders';
import type { ChargerDirectory, ChargerInfo } from '../src/domain/ports';
import { ProjectedChargerDirectory } from '../src/domain/projected-chargers';
import { SessionService } from '../src/domain/session-service';
import { assetEventsHandler } from '../src/events/asset-events-consumer';
import { PgChargerProjection } from '../src/persistence/charger-projection';
import { PgOrderStore } from '../src/persistence/order-store';

/** The assets service as a service call answers, counting the calls. */
class CountingAssets implements ChargerDirectory {
  calls = 0;
  constructor(private readonly chargers: (ChargerInfo & { tenantId: string })[]) {}
  async byId(tenantId: string, id: string) {
    return this.answer(this.chargers.find((c) => c.chargerId === id && c.tenantId === tenantId));
  }
  async byCode(tenantId: string, code: string) {
    return this.answer(this.chargers.find((c) => c.code === code && c.tenantId === tenantId));
  }
  private answer(found: (ChargerInfo & { tenantId: string }) | undefined): ChargerInfo | null {
    this.calls++;
    if (!found) return null;
    const { tenantId: _, ...info } = found;
    return info;
  }
}

const A = randomUUID();
const B = randomUUID();
const station = randomUUID();

const aCharger = (over: Partial<ChargerInfo> = {}): ChargerInfo => aChargerInfo(station, over);
const event = assetEventMessage;

describe("orders' projection of chargers (asset events, real Postgres)", () => {
  let db: TestDatabase;
  let knex: Knex;
  let projection: PgChargerProjection;
  let handle: ReturnType<typeof assetEventsHandler>;

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 4 } });
    projection = new PgChargerProjection(knex);
    handle = assetEventsHandler(projection);
  });
  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  it('keeps the newest snapshot of each charger: older revisions, repeats and late copies change nothing', async () => {
    const c = aCharger();
    await handle([event(A, c, 5)]);
    await handle([event(A, { ...c, connectorNos: [1] }, 3)]); // older, late
    expect(await projection.byId(A, c.chargerId)).toMatchObject({ connectorNos: [1, 2], revision: 5, retired: false });
    // newer and older in one call, in any order: the newest wins
    await handle([event(A, { ...c, connectorNos: [1, 2, 3] }, 9), event(A, { ...c, connectorNos: [4] }, 7)]);
    await handle([event(A, { ...c, connectorNos: [1, 2, 3] }, 9)]); // replayed
    expect(await projection.byId(A, c.chargerId)).toMatchObject({ connectorNos: [1, 2, 3], revision: 9 });
    expect(await projection.byCode(A, c.code)).toMatchObject({ chargerId: c.chargerId, stationId: station, timezone: 'Asia/Shanghai', protocol: 'OCPP16' });
  });

  it('a retired charger is known as retired: no start on it, and assets is not asked again', async () => {
    const c = aCharger();
    const assets = new CountingAssets([{ ...c, tenantId: A }]); // assets would (wrongly, late) still answer it
    const directory = new ProjectedChargerDirectory(projection, assets);
    await handle([event(A, c, 1, 'charger.registered')]);
    expect(await directory.byId(A, c.chargerId)).toMatchObject({ code: c.code });
    await handle([event(A, { ...c, connectorNos: [] }, 2, 'charger.retired')]);
    expect(await directory.byId(A, c.chargerId)).toBeNull();
    expect(await directory.byCode(A, c.code)).toEqual({ ...c, connectorNos: [1, 2] }); // by code: not projected as active → asked
    expect(assets.calls).toBe(1);
  });

  it('read-your-writes: a charger not projected yet is asked of assets once and kept; the first event then replaces it', async () => {
    const c = aCharger({ protocol: 'YKC', connectorNos: [1] });
    const assets = new CountingAssets([{ ...c, tenantId: A }]);
    const directory = new ProjectedChargerDirectory(projection, assets);
    expect(await directory.byId(A, c.chargerId)).toEqual(c);
    expect(await directory.byId(A, c.chargerId)).toEqual(c);
    expect(await directory.byCode(A, c.code)).toEqual(c);
    expect(assets.calls).toBe(1);
    expect(await projection.byId(A, c.chargerId)).toMatchObject({ revision: 0 });
    await handle([event(A, { ...c, connectorNos: [1, 2] }, 1, 'charger.registered')]);
    expect(await directory.byId(A, c.chargerId)).toMatchObject({ connectorNos: [1, 2] });
    // a connector added a moment ago (assets has it, the projection not yet): assets is asked
    const calls = assets.calls;
    const added = new ProjectedChargerDirectory(projection, new CountingAssets([{ ...c, connectorNos: [1, 2, 3], tenantId: A }]));
    expect(await added.byId(A, c.chargerId, 3)).toMatchObject({ connectorNos: [1, 2, 3] });
    expect(await directory.byId(A, c.chargerId, 2)).toMatchObject({ connectorNos: [1, 2] });
    expect(assets.calls).toBe(calls);
    // what a service call answers never replaces what an event said
    await projection.remember(A, { ...c, connectorNos: [9] });
    expect(await projection.byId(A, c.chargerId)).toMatchObject({ connectorNos: [1, 2], revision: 1 });
    // an unknown charger: asked every time, nothing kept
    const unknown = randomUUID();
    expect(await directory.byId(A, unknown)).toBeNull();
    expect(await projection.byId(A, unknown)).toBeNull();
  });

  it("a consumer's batch reads the projection on its own connection: a pool of one connection does not wait for a second", async () => {
    // Every connection of the consumers' pool held by a batch, and the charger read inside it
    // asking the pool for another: before, that read waited for the acquire timeout (60 s), the
    // batch failed, and sessions drained at a few events per second.
    const one = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 1 } });
    try {
      const c = aCharger();
      const unknownHere = aCharger(); // not projected: asked of assets and kept, in the batch
      await handle([event(A, c, 1, 'charger.registered')]);
      const noPricing = {
        price: () => Promise.reject(new Error('not priced in this test')),
      };
      const sessions = new SessionService(
        new PgOrderStore(one),
        new ProjectedChargerDirectory(new PgChargerProjection(one), new CountingAssets([{ ...unknownHere, tenantId: A }])),
        noPricing,
        { now: () => new Date() },
      );
      const started = (code: string) => ({
        eventId: randomUUID(),
        tenantId: A,
        chargerCode: code,
        connectorNo: 1,
        transactionId: `tx-${randomUUID().slice(0, 8)}`,
        idTag: 'TAG',
        meterStartWh: 0,
        startedAt: new Date(),
      });
      const outcomes = await sessions.inBatch(A, async () => [
        await sessions.onSessionStarted(started(c.code)),
        await sessions.onSessionStarted(started(unknownHere.code)),
      ]);
      expect(outcomes).toEqual(['applied', 'applied']);
      const orders = await withTenant(knex, A, (trx) =>
        trx('orders.orders').whereIn('charger_code', [c.code, unknownHere.code]).select('charger_id', 'station_id'),
      );
      expect(orders).toHaveLength(2);
      expect(orders.every((o) => o.station_id === station)).toBe(true);
      expect(await projection.byId(A, unknownHere.chargerId)).toMatchObject({ revision: 0 });
    } finally {
      await one.destroy();
    }
  });

  it("tenant isolation: another tenant's charger is not found by id or code, and RLS alone hides its rows", async () => {
    const c = aCharger();
    await handle([event(A, c, 1, 'charger.registered')]);
    const assets = new CountingAssets([{ ...c, tenantId: A }]);
    const directory = new ProjectedChargerDirectory(projection, assets);
    expect(await projection.byId(B, c.chargerId)).toBeNull();
    expect(await projection.byCode(B, c.code)).toBeNull();
    // B's start on A's charger: not in B's projection, and assets (asked as B) does not know it either
    expect(await directory.byId(B, c.chargerId)).toBeNull();
    // the data layer's filter left out: row-level security still shows B nothing of A
    const seen = await withTenant(knex, B, (trx) => trx('orders.charger_projection').select('charger_id'));
    expect(seen).toEqual([]);
    // and refuses a row written into A from B's transaction
    await expect(
      withTenant(knex, B, (trx) =>
        trx('orders.charger_projection').insert({
          tenant_id: A,
          charger_id: randomUUID(),
          code: 'X',
          station_id: station,
          protocol: 'OCPP16',
          connector_nos: [1],
          revision: 1,
        }),
      ),
    ).rejects.toThrow(/row-level security/);
  });
});
