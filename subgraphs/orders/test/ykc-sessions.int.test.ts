import { randomUUID } from 'node:crypto';
import { createKnex, Knex, withTenant, money } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';
import type { Bill, ChargerDirectory, ChargerInfo, Pricer, PricingRequest } from '../src/domain/ports';
import { ChargerRecordFact, SessionService } from '../src/domain/session-service';
import { PgOrderStore } from '../src/persistence/order-store';

class FixedDirectory implements ChargerDirectory {
  constructor(private readonly chargers: (ChargerInfo & { tenantId: string })[]) {}
  async byId(tenantId: string, id: string) {
    return this.chargers.find((x) => x.chargerId === id && x.tenantId === tenantId) ?? null;
  }
  async byCode(tenantId: string, code: string) {
    return this.chargers.find((x) => x.code === code && x.tenantId === tenantId) ?? null;
  }
}

/** 1.50 per kWh (1.00 electricity + 0.50 service), in integer fen; records its calls. */
class RecordingPricer implements Pricer {
  calls: PricingRequest[] = [];
  async price(req: PricingRequest): Promise<Bill> {
    this.calls.push(req);
    // exact: 0.15 fen per Wh = 15 × 10^-4 yuan per Wh
    const x1e4 = req.energyWh * 15;
    const exact = `${Math.floor(x1e4 / 10_000)}.${String(x1e4 % 10_000).padStart(4, '0')}`;
    const fen = Math.floor((x1e4 + 50) / 100);
    const total = money(fen, 'CNY');
    return {
      currency: 'CNY',
      planId: 'plan-1',
      source: 'TENANT',
      planVersions: [1],
      timezone: 'Asia/Shanghai',
      electricityAmount: total,
      serviceAmount: money(0, 'CNY'),
      totalExact: exact,
      total,
      items: [],
    };
  }
}

/**
 * YKC sessions in orders over real Postgres: the platform's serials, what a remote start may
 * spend, the pile's 0x33 confirming the pending order, energy since start (0x13) and the
 * pile's record (0x3B) as what the session is priced from, and the pile's own bill beside
 * the platform's.
 */
describe('YKC sessions: serials, pre-authorised amounts, 0x33 / 0x13 / 0x3B (real Postgres)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let sessions: SessionService;
  const pricer = new RecordingPricer();
  // 10:00:00 UTC = 18:00:00 in Shanghai, 11:00:00 in Berlin
  let now = new Date('2026-11-24T10:00:00.400Z');
  const A = randomUUID();
  const station = randomUUID();
  const pile = {
    chargerId: randomUUID(),
    code: '32010000000042',
    stationId: station,
    timezone: 'Asia/Shanghai',
    protocol: 'YKC' as const,
    connectorNos: [1, 2],
    tenantId: A,
  };
  const berlin = {
    chargerId: randomUUID(),
    code: '49010000000001',
    stationId: randomUUID(),
    timezone: 'Europe/Berlin',
    protocol: 'YKC' as const,
    connectorNos: [1],
    tenantId: A,
  };
  const oddly = { chargerId: randomUUID(), code: 'NOT-A-PILE-NUMBER', stationId: station, protocol: 'YKC' as const, connectorNos: [1], tenantId: A };

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 10 } });
    sessions = new SessionService(new PgOrderStore(knex), new FixedDirectory([pile, berlin, oddly]), pricer, { now: () => now });
  });
  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  const caller = { tenantId: A, userId: randomUUID() };
  const operator = { ...caller, audit: { type: 'USER' as const, id: caller.userId, onBehalfOf: null, requestId: null, clientAddress: null } };
  const ev = () => randomUUID();
  const commandsOf = (orderId: string) =>
    withTenant(knex, A, (trx) => trx('orders.outbox').where({ tenant_id: A, order_id: orderId }).orderBy('created_at')) as Promise<
      { id: string; payload: { command: Record<string, unknown> } }[]
    >;
  const row = (id: string) => withTenant(knex, A, (trx) => trx('orders.orders').where({ id }).first());
  const start = async (input: { chargerId?: string; connectorNo?: number; preAuthorizedFen?: number | null } = {}) => {
    const r = await sessions.startCharging(caller, {
      chargerId: input.chargerId ?? pile.chargerId,
      connectorNo: input.connectorNo ?? 1,
      idempotencyKey: `start-${randomUUID()}`,
      preAuthorizedFen: input.preAuthorizedFen,
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.value;
  };
  const reject = async (orderId: string) => {
    const [cmd] = await commandsOf(orderId);
    await sessions.onStartCommandResult({
      tenantId: A,
      chargerCode: pile.code,
      eventId: ev(),
      commandId: cmd.id,
      accepted: false,
      reason: 'GUN_NOT_PLUGGED_IN',
    });
  };
  const record = (serial: string, over: Partial<ChargerRecordFact> = {}): ChargerRecordFact => ({
    eventId: ev(),
    tenantId: A,
    chargerCode: pile.code,
    transactionId: serial,
    connectorNo: 1,
    startedAt: new Date('2026-11-24T10:00:05Z'),
    endedAt: new Date('2026-11-24T10:30:05Z'),
    meterStartWh: 1_000_000,
    meterStopWh: 1_012_340,
    energyWh: 12_340,
    amount: '18.5100',
    tiers: [
      { tier: 'SHARP', unitPrice: '1.50000', energyKwh: '0.0000', amount: '0.0000' },
      { tier: 'PEAK', unitPrice: '1.50000', energyKwh: '12.3400', amount: '18.5100' },
      { tier: 'FLAT', unitPrice: '1.50000', energyKwh: '0.0000', amount: '0.0000' },
      { tier: 'VALLEY', unitPrice: '1.50000', energyKwh: '0.0000', amount: '0.0000' },
    ],
    ...over,
  });

  it("serials follow the document's layout on the station's clock, unique per pile and gun however many starts in one second", async () => {
    const first = await start();
    expect(first.transactionId).toBe(`${pile.code}01` + '261124180000' + '0001');
    await reject(first.id);
    const second = await start();
    expect(second.transactionId).toBe(`${pile.code}01` + '261124180000' + '0002');
    await reject(second.id);
    const otherGun = await start({ connectorNo: 2 });
    expect(otherGun.transactionId).toBe(`${pile.code}02` + '261124180000' + '0001');
    await reject(otherGun.id);
    expect((await start({ chargerId: berlin.chargerId })).transactionId).toBe(`${berlin.code}01` + '261124110000' + '0001');
    // the next second starts counting again
    now = new Date('2026-11-24T10:00:01.000Z');
    const third = await start();
    expect(third.transactionId).toBe(`${pile.code}01` + '261124180001' + '0001');
    await reject(third.id);
    const bad = await sessions.startCharging(caller, { chargerId: oddly.chargerId, connectorNo: 1, idempotencyKey: `start-${randomUUID()}` });
    expect(bad).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'INVALID_INPUT', field: 'connectorNo' })] });
  });

  it("0x34 carries what the session may spend: the request's amount, else the tenant's default, else 200.00; bounds are checked", async () => {
    const spend = async (preAuthorizedFen?: number | null) => {
      const o = await start({ preAuthorizedFen });
      await reject(o.id);
      const [cmd] = await commandsOf(o.id);
      return { order: o, command: cmd.payload.command };
    };
    const byDefault = await spend();
    expect(byDefault.command).toMatchObject({ type: 'session.start', connectorId: 1, transactionId: byDefault.order.transactionId, balanceCents: 20_000 });
    expect(byDefault.order.preAuthorizedFen).toBe(20_000);
    expect((await spend(5_000)).command.balanceCents).toBe(5_000);
    expect(await sessions.updateSessionSettings(caller, { ykcPreAuthorizedFen: 0 })).toMatchObject({ ok: false });
    expect(await sessions.updateSessionSettings(caller, { ykcPreAuthorizedFen: 12_345 })).toEqual({ ok: true, value: { ykcPreAuthorizedFen: 12_345 } });
    expect(await sessions.sessionSettings(A)).toEqual({ ykcPreAuthorizedFen: 12_345 });
    expect((await spend()).command.balanceCents).toBe(12_345);
    for (const wrong of [0, -1, 1_000_001, 1.5]) {
      const r = await sessions.startCharging(caller, {
        chargerId: pile.chargerId,
        connectorNo: 1,
        idempotencyKey: `start-${randomUUID()}`,
        preAuthorizedFen: wrong,
      });
      expect(r).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'INVALID_INPUT', field: 'preAuthorizedAmountMinor' })] });
    }
    // another tenant keeps the default
    expect(await sessions.sessionSettings(randomUUID())).toEqual({ ykcPreAuthorizedFen: 20_000 });
  });

  it('an API start: 0x33 moves the pending order to CHARGING (its pre-issued serial is the match), stopCharging then sends the stop; 0x13 energy and the 0x3B record price it', async () => {
    now = new Date('2026-11-24T10:00:03Z');
    const o = await start();
    const serial = o.transactionId!;
    const started = {
      tenantId: A,
      chargerCode: pile.code,
      connectorNo: 1,
      transactionId: serial,
      idTag: null,
      meterStartWh: null,
      startedAt: new Date('2026-11-24T10:00:04Z'),
    };
    const startEvent = ev();
    expect(await sessions.onSessionStarted({ ...started, eventId: startEvent })).toBe('applied');
    expect(await row(o.id)).toMatchObject({ state: 'CHARGING', transaction_id: serial, origin: 'API' });
    // the same start told again (a bridge restart sees it in 0x13 as well): one order, still CHARGING
    expect(await sessions.onSessionStarted({ ...started, eventId: startEvent })).toBe('duplicate');
    expect(await sessions.onSessionStarted({ ...started, eventId: ev() })).toBe('duplicate');

    const stop = await sessions.stopCharging(caller, o.id);
    expect(stop).toMatchObject({ ok: true, value: { state: 'FINISHING' } });
    const cmds = await commandsOf(o.id);
    expect(cmds.map((c) => c.payload.command)).toEqual([
      expect.objectContaining({ type: 'session.start' }),
      { type: 'session.stop', connectorId: 1, transactionId: serial },
    ]);

    // 0x13: energy since start, not a register
    now = new Date('2026-11-24T10:31:00Z');
    const since = (at: string, wh: number) => ({ at: new Date(at), registerWh: wh });
    const mv = { tenantId: A, chargerCode: pile.code, connectorNo: 1, transactionId: serial, basis: 'SINCE_START' as const };
    expect(await sessions.onMeterValues({ ...mv, eventId: ev(), readings: [since('2026-11-24T10:10:00Z', 4_000), since('2026-11-24T10:20:00Z', 8_000)] })).toBe(
      'applied',
    );
    const kept = await withTenant(knex, A, (trx) => trx('orders.meter_readings').where({ order_id: o.id }).orderBy('at'));
    expect(kept.map((r: { register_wh: string }) => Number(r.register_wh))).toEqual([4_000, 8_000]);

    pricer.calls = [];
    const rec = record(serial);
    expect(await sessions.onChargerRecord(rec)).toBe('applied');
    const done = await row(o.id);
    expect(done).toMatchObject({
      state: 'TO_PAY',
      meter_start_wh: '1000000',
      meter_stop_wh: '1012340',
      energy_wh: '12340',
      amount: '18.51',
      stop_reason: 'CHARGER_RECORD',
      review_flags: [],
    });
    expect(done.started_at.toISOString()).toBe('2026-11-24T10:00:05.000Z');
    expect(done.stopped_at.toISOString()).toBe('2026-11-24T10:30:05.000Z');
    expect(done.charger_bill).toMatchObject({ amount: '18.5100', energyWh: 12_340, meterStartWh: 1_000_000, meterStopWh: 1_012_340, tiers: rec.tiers });
    // priced from the record's times and meter, with the 0x13 energy on the register in between
    expect(pricer.calls).toHaveLength(1);
    expect(pricer.calls[0]).toMatchObject({ startedAt: rec.startedAt, stoppedAt: rec.endedAt, energyWh: 12_340 });
    expect(pricer.calls[0].readings.map((r) => [r.at.toISOString(), r.registerWh])).toEqual([
      ['2026-11-24T10:00:05.000Z', 1_000_000],
      ['2026-11-24T10:10:00.000Z', 1_004_000],
      ['2026-11-24T10:20:00.000Z', 1_008_000],
      ['2026-11-24T10:30:05.000Z', 1_012_340],
    ]);
    // the pile resends its record after our 0x40 was lost: nothing changes
    expect(await sessions.onChargerRecord({ ...rec, eventId: ev() })).toBe('applied');
    expect(await sessions.onChargerRecord(rec)).toBe('duplicate');
    expect(pricer.calls).toHaveLength(1);
    expect((await row(o.id)).amount).toBe('18.51');
  });

  it("a pile that bills with another model: its own total kept beside the platform's, the order flagged PILE_AMOUNT_MISMATCH", async () => {
    now = new Date('2026-11-24T11:00:00Z');
    const o = await start();
    await sessions.onSessionStarted({
      eventId: ev(),
      tenantId: A,
      chargerCode: pile.code,
      connectorNo: 1,
      transactionId: o.transactionId!,
      idTag: null,
      meterStartWh: null,
      startedAt: now,
    });
    now = new Date('2026-11-24T11:30:00Z');
    const rec = record(o.transactionId!, { startedAt: new Date('2026-11-24T11:00:00Z'), endedAt: new Date('2026-11-24T11:20:00Z'), amount: '24.6800' });
    expect(await sessions.onChargerRecord(rec)).toBe('applied');
    const done = await row(o.id);
    expect(done).toMatchObject({ state: 'TO_PAY', amount: '18.51', review_flags: ['PILE_AMOUNT_MISMATCH'] });
    expect(done.charger_bill.amount).toBe('24.6800');
    // within rounding (a fen): no flag
    const p = await start();
    await sessions.onSessionStarted({
      eventId: ev(),
      tenantId: A,
      chargerCode: pile.code,
      connectorNo: 1,
      transactionId: p.transactionId!,
      idTag: null,
      meterStartWh: null,
      startedAt: now,
    });
    expect(
      await sessions.onChargerRecord(
        record(p.transactionId!, { startedAt: new Date('2026-11-24T11:00:00Z'), endedAt: new Date('2026-11-24T11:20:00Z'), amount: '18.5150' }),
      ),
    ).toBe('applied');
    expect((await row(p.id)).review_flags).toEqual([]);
  });

  it('a record for a serial the platform never issued (card, offline start) becomes an order of origin CHARGER, priced the same way', async () => {
    now = new Date('2026-11-24T13:00:00Z');
    const serial = `${pile.code}02` + '261124203000' + '0077';
    const rec = record(serial, {
      connectorNo: 2,
      startedAt: new Date('2026-11-24T12:30:00Z'),
      endedAt: new Date('2026-11-24T12:50:00Z'),
      meterStartWh: 2_000_000,
      meterStopWh: 2_010_000,
      energyWh: 10_000,
      amount: '15.0000',
    });
    expect(await sessions.onChargerRecord(rec)).toBe('applied');
    const o = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: pile.code, transaction_id: serial }).first());
    expect(o).toMatchObject({
      origin: 'CHARGER',
      state: 'TO_PAY',
      connector_no: 2,
      station_id: station,
      charger_id: pile.chargerId,
      energy_wh: '10000',
      amount: '15.00',
      review_flags: [],
    });
    expect(o.started_at.toISOString()).toBe('2026-11-24T12:30:00.000Z');
    expect(await sessions.onChargerRecord({ ...rec, eventId: ev() })).toBe('applied');
    const all = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: pile.code, transaction_id: serial }));
    expect(all).toHaveLength(1);
  });

  it('a YKC session force-closed before its record came: billed with the energy since start it reported', async () => {
    now = new Date('2026-11-24T14:00:00Z');
    const o = await start();
    await sessions.onSessionStarted({
      eventId: ev(),
      tenantId: A,
      chargerCode: pile.code,
      connectorNo: 1,
      transactionId: o.transactionId!,
      idTag: null,
      meterStartWh: null,
      startedAt: now,
    });
    now = new Date('2026-11-24T14:30:00Z');
    const mv = { tenantId: A, chargerCode: pile.code, connectorNo: 1, transactionId: o.transactionId!, basis: 'SINCE_START' as const };
    await sessions.onMeterValues({
      ...mv,
      eventId: ev(),
      readings: [
        { at: new Date('2026-11-24T14:10:00Z'), registerWh: 3_000 },
        { at: new Date('2026-11-24T14:20:00Z'), registerWh: 6_000 },
      ],
    });
    const closed = await sessions.forceClose(operator, { orderId: o.id, reason: 'pile offline, no record came' });
    expect(closed).toMatchObject({
      ok: true,
      value: { state: 'TO_PAY', energyWh: 6_000, amount: { minor: 900, currency: 'CNY' }, meterStartWh: 0, meterStopWh: 6_000 },
    });
    expect((await row(o.id)).review_flags).toEqual(['FORCE_CLOSED']);
  });
});
