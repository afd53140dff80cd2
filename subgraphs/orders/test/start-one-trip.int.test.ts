import { randomUUID } from 'node:crypto';
import { createKnex, Knex, withTenant, type ReceivedMessage } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';
import { aChargerInfo, assetEventMessage } from './builders';
import type { ChargerDirectory, ChargerInfo, OrderStore } from '../src/domain/ports';
import { ProjectedChargerDirectory } from '../src/domain/projected-chargers';
import { SessionService } from '../src/domain/session-service';
import { assetEventsHandler } from '../src/events/asset-events-consumer';
import { PgChargerProjection } from '../src/persistence/charger-projection';
import { PgOrderStore } from '../src/persistence/order-store';

/** Assets as its service call answers: only what it is given (here: nothing the projection lacks). */
class FixedAssets implements ChargerDirectory {
  constructor(private readonly chargers: (ChargerInfo & { tenantId: string })[] = []) {}
  async byId(tenantId: string, id: string) {
    return this.strip(this.chargers.find((c) => c.chargerId === id && c.tenantId === tenantId));
  }
  async byCode(tenantId: string, code: string) {
    return this.strip(this.chargers.find((c) => c.code === code && c.tenantId === tenantId));
  }
  private strip(found: (ChargerInfo & { tenantId: string }) | undefined): ChargerInfo | null {
    if (!found) return null;
    const { tenantId: _, ...info } = found;
    return info;
  }
}

/** The real store, counting which path each start took. */
class CountingStore implements OrderStore {
  oneTrips = 0;
  transactions = 0;
  constructor(readonly store: PgOrderStore) {}
  inTenant: OrderStore['inTenant'] = (tenantId, fn) => {
    this.transactions++;
    return this.store.inTenant(tenantId, fn);
  };
  batch: OrderStore['batch'] = (tenantId, fn) => this.store.batch(tenantId, fn);
  startInOneTrip: OrderStore['startInOneTrip'] = (...args) => {
    this.oneTrips++;
    return this.store.startInOneTrip(...args);
  };
  reset() {
    this.oneTrips = 0;
    this.transactions = 0;
  }
}

const A = randomUUID();
const B = randomUUID();
const station = randomUUID();

const aCharger = (over: Partial<ChargerInfo> = {}): ChargerInfo => aChargerInfo(station, over);
const assetEvent = assetEventMessage;

describe('a start in one round trip on a charger known by a hint (real Postgres, RLS)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let project: (m: ReceivedMessage) => Promise<void>;
  let store: CountingStore;
  let directory: ProjectedChargerDirectory;
  let sessions: SessionService;
  const caller = { tenantId: A, userId: randomUUID() };
  const key = () => `start-${randomUUID()}`;
  const codeOf = (r: { ok: boolean; errors?: { code: string }[] }) => (r.ok ? 'OK' : r.errors![0].code);

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
    const projection = new PgChargerProjection(knex);
    const handle = assetEventsHandler(projection);
    project = (m) => handle([m]);
    store = new CountingStore(new PgOrderStore(knex));
    directory = new ProjectedChargerDirectory(projection, new FixedAssets());
    sessions = new SessionService(store, directory, { price: () => Promise.reject(new Error('not priced here')) }, { now: () => new Date() });
  });
  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  /** A projected charger whose hint this process holds (its first start read it). */
  async function warmCharger(over: Partial<ChargerInfo> = {}) {
    const c = aCharger(over);
    await project(assetEvent(A, c, 1, 'charger.registered'));
    expect(await directory.byId(A, c.chargerId)).toMatchObject({ code: c.code });
    expect(directory.hint(A, c.chargerId)).toMatchObject({ code: c.code, revision: 1 });
    store.reset();
    return c;
  }
  const ordersOn = (code: string) => withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: code }).orderBy('created_at'));

  it('creates the order, its first transition and its start command in one trip; a replay, a reused key and a busy connector are answered from it', async () => {
    const c = await warmCharger();
    const k = key();
    const r = await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: k });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value).toMatchObject({ state: 'PENDING', chargerCode: c.code, chargerId: c.chargerId, stationId: station, origin: 'API', userId: caller.userId });
    expect({ oneTrips: store.oneTrips, transactions: store.transactions }).toEqual({ oneTrips: 1, transactions: 0 });

    const [transitions, commands] = await withTenant(knex, A, async (trx) => [
      await trx('orders.order_transitions').where({ order_id: r.value.id }),
      await trx('orders.outbox').where({ order_id: r.value.id }),
    ]);
    expect(transitions).toEqual([expect.objectContaining({ from_state: null, to_state: 'PENDING', reason: 'REQUESTED' })]);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ topic: 'evcs.charger-commands.v1', key: c.code });
    expect(commands[0].payload).toMatchObject({ tenantId: A, chargerId: c.code, command: { type: 'session.start', connectorId: 1, idTag: r.value.idTag } });

    const again = await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: k });
    expect(again).toMatchObject({ ok: true, value: { ...r.value } });
    expect(codeOf(await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 2, idempotencyKey: k }))).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(codeOf(await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: key() }))).toBe('CONNECTOR_BUSY');
    expect({ oneTrips: store.oneTrips, transactions: store.transactions }).toEqual({ oneTrips: 4, transactions: 0 });
    expect(await ordersOn(c.code)).toHaveLength(1);
  });

  it('a process that has no hint yet reads the charger from the projection, then starts in one trip; YKC piles keep the statement-by-statement path', async () => {
    const c = aCharger();
    const pile = aCharger({ protocol: 'YKC', code: '32010600019236', connectorNos: [1] });
    await project(assetEvent(A, c, 1, 'charger.registered'));
    await project(assetEvent(A, pile, 1, 'charger.registered'));
    const cold = new ProjectedChargerDirectory(new PgChargerProjection(knex), new FixedAssets());
    const fresh = new SessionService(store, cold, { price: () => Promise.reject(new Error('not priced here')) }, { now: () => new Date() });
    store.reset();
    expect(codeOf(await fresh.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: key() }))).toBe('OK');
    expect({ oneTrips: store.oneTrips, transactions: store.transactions }).toEqual({ oneTrips: 1, transactions: 0 });
    expect(cold.hint(A, c.chargerId)).toMatchObject({ revision: 1 });
    store.reset();
    const y = await fresh.startCharging(caller, { chargerId: pile.chargerId, connectorNo: 1, idempotencyKey: key() });
    if (!y.ok) throw new Error(JSON.stringify(y.errors));
    expect(y.value.transactionId).toMatch(/^\d{32}$/);
    expect({ oneTrips: store.oneTrips, transactions: store.transactions }).toEqual({ oneTrips: 0, transactions: 1 });
  });

  it('an unknown charger is asked of assets once per start, not once for the hint and again for the start', async () => {
    let asked = 0;
    const assets: ChargerDirectory = {
      byId: async () => (asked++, null),
      byCode: async () => null,
    };
    const counting = new ProjectedChargerDirectory(new PgChargerProjection(knex), assets);
    const svc = new SessionService(store, counting, { price: () => Promise.reject(new Error('not priced here')) }, { now: () => new Date() });
    expect(codeOf(await svc.startCharging(caller, { chargerId: randomUUID(), connectorNo: 1, idempotencyKey: key() }))).toBe('NOT_FOUND');
    expect(asked).toBe(1);
  });

  it('under the connector lock: of 10 concurrent starts with their own keys one wins and 9 are CONNECTOR_BUSY; 8 with one key make one order', async () => {
    const c = await warmCharger();
    const racing = await Promise.all(
      Array.from({ length: 10 }, () => sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: key() })),
    );
    expect(racing.map(codeOf).sort()).toEqual([...Array(9).fill('CONNECTOR_BUSY'), 'OK'].sort());
    const k = key();
    const same = await Promise.all(
      Array.from({ length: 8 }, () => sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 2, idempotencyKey: k })),
    );
    expect(new Set(same.map((r) => (r.ok ? r.value.id : r.errors[0].code))).size).toBe(1);
    expect(same.every((r) => r.ok)).toBe(true);
    expect(store.transactions).toBe(0); // no fallback: every start, winner or not, went in one trip
    const orders = await ordersOn(c.code);
    expect(orders.map((o) => o.connector_no).sort()).toEqual([1, 2]);
    const commands = await withTenant(knex, A, (trx) =>
      trx('orders.outbox').whereIn(
        'order_id',
        orders.map((o) => o.id),
      ),
    );
    expect(commands).toHaveLength(2);
  });

  it('a stale hint creates nothing and the start reads the charger afresh: a removed connector, a renamed charger, a retired one', async () => {
    const c = await warmCharger();
    // connector 2 removed in assets (revision 2): the hint still lists it (and assets, asked for
    // the connector the projection lacks, knows no such charger here)
    await project(assetEvent(A, { ...c, connectorNos: [1] }, 2));
    const removed = await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 2, idempotencyKey: key() });
    expect(codeOf(removed)).toBe('NOT_FOUND');
    expect(store.oneTrips).toBe(1);
    expect(await ordersOn(c.code)).toEqual([]);
    expect(directory.hint(A, c.chargerId)).toMatchObject({ revision: 2, connectorNos: [1] });

    // renamed (revision 3): the hint's code is the old one; the order gets the new code
    const renamed = `${c.code}-R`;
    await project(assetEvent(A, { ...c, code: renamed, connectorNos: [1] }, 3));
    store.reset();
    const r = await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: key() });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value.chargerCode).toBe(renamed);
    expect(await ordersOn(c.code)).toEqual([]);
    expect({ oneTrips: store.oneTrips, transactions: store.transactions }).toEqual({ oneTrips: 1, transactions: 1 });
    // the next start is one trip again, on the fresh hint
    store.reset();
    expect(codeOf(await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: key() }))).toBe('CONNECTOR_BUSY');
    expect({ oneTrips: store.oneTrips, transactions: store.transactions }).toEqual({ oneTrips: 1, transactions: 0 });

    // retired (revision 4): refused, and the hint is gone
    const d = await warmCharger();
    await project(assetEvent(A, { ...d, connectorNos: [] }, 4, 'charger.retired'));
    const retired = await sessions.startCharging(caller, { chargerId: d.chargerId, connectorNo: 1, idempotencyKey: key() });
    expect(retired).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'NOT_FOUND', field: 'chargerId' })] });
    expect(directory.hint(A, d.chargerId)).toBeNull();
    expect(await ordersOn(d.code)).toEqual([]);
  });

  it("tenant isolation: another tenant's start with a hint of this tenant's charger creates nothing, in the data layer and under RLS", async () => {
    const c = await warmCharger();
    const hint = directory.hint(A, c.chargerId)!;
    // as tenant B, with A's charger as the hint (as if it had leaked): B's projection has no such revision
    const k = key();
    const found = await store.store.startInOneTrip(
      B,
      hint,
      {
        stationId: station,
        chargerId: c.chargerId,
        chargerCode: c.code,
        connectorNo: 1,
        userId: null,
        idTag: 'REMOTE-X',
        origin: 'API',
        transactionId: null,
        state: 'PENDING',
        startedAt: null,
        meterStartWh: null,
        idempotencyKey: k,
        requestHash: 'h',
        preAuthorizedFen: null,
      },
      { type: 'session.start', chargerCode: c.code, connectorId: 1, idTag: 'REMOTE-X' },
    );
    expect(found).toEqual({ replay: null, projected: false, busy: false, created: null });
    const anywhere = await knex.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [B]);
      return trx('orders.orders').where({ idempotency_key: k });
    });
    expect(anywhere).toEqual([]);
    // through the service, B does not even have a hint of A's charger
    expect(directory.hint(B, c.chargerId)).toBeNull();
    expect(codeOf(await sessions.startCharging({ tenantId: B, userId: null }, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: key() }))).toBe(
      'NOT_FOUND',
    );
  });

  it("a refused start command fails its order once: the event recorded, the command's order found and moved in one statement", async () => {
    const c = await warmCharger();
    const r = await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: key() });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const [command] = await withTenant(knex, A, (trx) => trx('orders.outbox').where({ order_id: r.value.id }));
    const refusal = { tenantId: A, chargerCode: c.code, eventId: randomUUID(), commandId: command.id, accepted: false, reason: 'CHARGER_OFFLINE' };
    expect(await sessions.onStartCommandResult(refusal)).toBe('applied');
    expect(await sessions.onStartCommandResult(refusal)).toBe('duplicate'); // the same event again
    expect(await sessions.onStartCommandResult({ ...refusal, eventId: randomUUID() })).toBe('ignored'); // another copy: FAILED already
    expect(await sessions.onStartCommandResult({ ...refusal, eventId: randomUUID(), commandId: randomUUID() })).toBe('ignored'); // not ours
    const [order] = await ordersOn(c.code);
    expect(order).toMatchObject({ state: 'FAILED', failure_reason: 'START_REJECTED: CHARGER_OFFLINE' });
    const transitions = await withTenant(knex, A, (trx) => trx('orders.order_transitions').where({ order_id: r.value.id }).orderBy('id'));
    expect(transitions.map((t) => [t.from_state, t.to_state, t.reason])).toEqual([
      [null, 'PENDING', 'REQUESTED'],
      ['PENDING', 'FAILED', 'START_REJECTED'],
    ]);
    const inbox = await withTenant(knex, A, (trx) => trx('orders.inbox').where({ event_id: refusal.eventId }));
    expect(inbox).toHaveLength(1);
    // the connector is free again: the next start goes through
    expect(codeOf(await sessions.startCharging(caller, { chargerId: c.chargerId, connectorNo: 1, idempotencyKey: key() }))).toBe('OK');
  });
});
