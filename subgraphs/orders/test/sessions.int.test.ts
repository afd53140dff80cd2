import { randomUUID } from 'node:crypto';
import { BusinessMetrics, createKnex, Knex, withTenant, formatMoney, money, NO_BUSINESS_METRICS } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';
import type { Bill, ChargerDirectory, ChargerInfo, Pricer, PricingRequest } from '../src/domain/ports';
import { SessionService } from '../src/domain/session-service';
import { PgOrderStore } from '../src/persistence/order-store';

/** Chargers of the test, by tenant: the assets service's answers, fixed. */
class FixedDirectory implements ChargerDirectory {
  constructor(private readonly chargers: Map<string, ChargerInfo & { tenantId: string }>) {}
  async byId(tenantId: string, id: string) {
    const c = [...this.chargers.values()].find((x) => x.chargerId === id && x.tenantId === tenantId);
    return c ?? null;
  }
  async byCode(tenantId: string, code: string) {
    const c = this.chargers.get(code);
    return c && c.tenantId === tenantId ? c : null;
  }
}

/** 1.00 per kWh, computed in integer fen; records its calls. The real engine is tested in tariffs and end to end. */
class RecordingPricer implements Pricer {
  calls: PricingRequest[] = [];
  async price(req: PricingRequest): Promise<Bill> {
    this.calls.push(req);
    const fen = Math.round(req.energyWh / 10); // 1 yuan per kWh = 0.1 fen per Wh
    const total = money(fen, 'CNY');
    return {
      currency: 'CNY',
      planId: 'plan-1',
      source: 'TENANT',
      planVersions: [1],
      timezone: 'Asia/Shanghai',
      electricityAmount: total,
      serviceAmount: money(0, 'CNY'),
      totalExact: formatMoney(total),
      total,
      items: [],
    };
  }
}

describe('charging sessions: exactly-once lifecycle (real Postgres)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let sessions: SessionService;
  const pricer = new RecordingPricer();
  let now = new Date('2026-11-24T10:00:00Z');
  const A = randomUUID();
  const B = randomUUID();
  const station = randomUUID();
  const ocpp = {
    chargerId: randomUUID(),
    code: `CP-${randomUUID().slice(0, 6)}`,
    stationId: station,
    protocol: 'OCPP16' as const,
    connectorNos: [1, 2],
    tenantId: A,
  };
  const ykc = {
    chargerId: randomUUID(),
    code: `32${String(Date.now()).slice(-12)}`,
    stationId: station,
    protocol: 'YKC' as const,
    connectorNos: [1],
    tenantId: A,
  };
  /** for the business metrics */
  const counted = {
    chargerId: randomUUID(),
    code: `CP-M-${randomUUID().slice(0, 6)}`,
    stationId: station,
    protocol: 'OCPP16' as const,
    connectorNos: [1, 2],
    tenantId: A,
  };
  /** for concurrent starts with different keys */
  const contested = {
    chargerId: randomUUID(),
    code: `CP-C-${randomUUID().slice(0, 6)}`,
    stationId: station,
    protocol: 'OCPP16' as const,
    connectorNos: [1],
    tenantId: A,
  };

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 10 } });
    const directory = new FixedDirectory(new Map([ocpp, ykc, contested, counted].map((c) => [c.code, c])));
    sessions = new SessionService(new PgOrderStore(knex), directory, pricer, { now: () => now }, { startTimeoutMs: 60_000 });
    measured = new SessionService(new PgOrderStore(knex), directory, pricer, { now: () => now }, {}, recorder);
  });
  /** What the service reported, as `event:label` strings in order. */
  const reported: string[] = [];
  const recorder: BusinessMetrics = {
    ...NO_BUSINESS_METRICS,
    orderCreated: (t, origin) => void reported.push(`created:${origin}`),
    orderCompleted: () => void reported.push('completed'),
    orderFailed: (t, reason) => void reported.push(`failed:${reason}`),
    startAccepted: () => void reported.push('accepted'),
    startRefused: (t, reason) => void reported.push(`refused:${reason}`),
  };
  let measured: SessionService;
  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  const caller = { tenantId: A, userId: randomUUID() };
  const operator = { ...caller, audit: { type: 'USER' as const, id: caller.userId, onBehalfOf: null, requestId: null, clientAddress: null } };
  const ev = () => randomUUID();
  const outbox = (tenantId: string) => withTenant(knex, tenantId, (trx) => trx('orders.outbox').where({ tenant_id: tenantId }).orderBy('created_at'));
  const order = (id: string) => withTenant(knex, A, (trx) => trx('orders.orders').where({ id }).first());

  it('startCharging: PENDING order and a start command in one transaction; the same key returns the same order, even concurrently', async () => {
    const key = `start-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => sessions.startCharging(caller, { chargerId: ocpp.chargerId, connectorNo: 1, idempotencyKey: key })),
    );
    const ids = new Set(results.map((r) => (r.ok ? r.value.id : r.errors[0].code)));
    expect(ids.size).toBe(1);
    const [r] = results;
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value).toMatchObject({ state: 'PENDING', chargerCode: ocpp.code, stationId: station, origin: 'API' });
    const cmds = (await outbox(A)).filter((c: { order_id: string }) => c.order_id === r.value.id);
    expect(cmds).toHaveLength(1);
    expect(cmds[0].payload).toMatchObject({
      version: 1,
      tenantId: A,
      chargerId: ocpp.code,
      command: { type: 'session.start', connectorId: 1, idTag: r.value.idTag },
    });
    const other = await sessions.startCharging(caller, { chargerId: ocpp.chargerId, connectorNo: 2, idempotencyKey: key });
    expect(other).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' })] });
    const busy = await sessions.startCharging(caller, { chargerId: ocpp.chargerId, connectorNo: 1, idempotencyKey: `start-${randomUUID()}` });
    expect(busy).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'CONNECTOR_BUSY' })] });
    const foreign = await sessions.startCharging(
      { tenantId: B, userId: null },
      { chargerId: ocpp.chargerId, connectorNo: 2, idempotencyKey: `start-${randomUUID()}` },
    );
    expect(foreign).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'NOT_FOUND', field: 'chargerId' })] });
  });

  it('concurrent starts with different keys on one free connector: one order and one command, the others CONNECTOR_BUSY', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        sessions.startCharging(caller, { chargerId: contested.chargerId, connectorNo: 1, idempotencyKey: `race-${randomUUID()}` }),
      ),
    );
    const started = results.filter((r) => r.ok);
    expect(started).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? null : r.errors[0].code))).toEqual(Array(9).fill('CONNECTOR_BUSY'));
    const rows = await withTenant(knex, A, (trx) => trx('orders.orders').where({ tenant_id: A, charger_code: contested.code }));
    expect(rows).toHaveLength(1);
    const cmds = (await outbox(A)).filter((c: { key: string }) => c.key === contested.code);
    expect(cmds.map((c: { order_id: string }) => c.order_id)).toEqual([rows[0].id]);
  });

  it('the charger confirms with StartTransaction (matched by idTag), resent under a new message id: one order, CHARGING', async () => {
    const pending = (await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: ocpp.code, connector_no: 1, state: 'PENDING' }).first()))!;
    const start = {
      tenantId: A,
      chargerCode: ocpp.code,
      connectorNo: 1,
      transactionId: '1001',
      idTag: pending.id_tag,
      meterStartWh: 10_000,
      startedAt: new Date('2026-11-24T09:00:00Z'),
    };
    expect(await sessions.onSessionStarted({ ...start, eventId: ev() })).toBe('applied');
    expect(await sessions.onSessionStarted({ ...start, eventId: ev() })).toBe('duplicate');
    const same = ev();
    expect(await sessions.onSessionStarted({ ...start, eventId: same })).toBe('duplicate');
    expect(await sessions.onSessionStarted({ ...start, eventId: same })).toBe('duplicate');
    const rows = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: ocpp.code, transaction_id: '1001' }));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: pending.id, state: 'CHARGING', meter_start_wh: '10000' });
  });

  it('meter values: good readings kept once; backwards, future and before-start readings flagged and left out', async () => {
    const mv = (at: string, wh: number) => ({ at: new Date(at), registerWh: wh });
    const base = { tenantId: A, chargerCode: ocpp.code, connectorNo: 1, transactionId: '1001' };
    expect(await sessions.onMeterValues({ ...base, eventId: ev(), readings: [mv('2026-11-24T09:10:00Z', 12_000), mv('2026-11-24T09:20:00Z', 14_000)] })).toBe(
      'applied',
    );
    // a resend of the same readings under a new id: nothing new
    expect(await sessions.onMeterValues({ ...base, eventId: ev(), readings: [mv('2026-11-24T09:20:00Z', 14_000)] })).toBe('applied');
    expect(
      await sessions.onMeterValues({
        ...base,
        eventId: ev(),
        readings: [mv('2026-11-24T09:30:00Z', 13_000), mv('2026-11-24T08:00:00Z', 11_000), mv('2026-11-24T12:00:00Z', 20_000)],
      }),
    ).toBe('flagged');
    const o = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: ocpp.code, transaction_id: '1001' }).first());
    expect([...o.review_flags].sort()).toEqual(['METER_BACKWARDS', 'METER_BEFORE_START', 'METER_IN_FUTURE']);
    const readings = await withTenant(knex, A, (trx) => trx('orders.meter_readings').where({ order_id: o.id }).orderBy('at'));
    expect(readings.map((r: { register_wh: string }) => Number(r.register_wh))).toEqual([12_000, 14_000]);
  });

  it('stop prices the session once with its samples; a repeated StopTransaction changes nothing', async () => {
    pricer.calls = [];
    const stop = {
      tenantId: A,
      chargerCode: ocpp.code,
      transactionId: '1001',
      meterStopWh: 16_000,
      stoppedAt: new Date('2026-11-24T09:40:00Z'),
      reason: 'Local',
    };
    const outcomes = await Promise.all([1, 2, 3].map(() => sessions.onSessionStopped({ ...stop, eventId: ev() })));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    const o = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: ocpp.code, transaction_id: '1001' }).first());
    expect(o).toMatchObject({ state: 'TO_PAY', energy_wh: '6000', amount: '6.00', meter_stop_wh: '16000' });
    expect(o.bill.total).toEqual({ minor: 600, currency: 'CNY' });
    const priced = pricer.calls.find((c) => c.energyWh === 6000)!;
    expect(priced.readings.map((r) => r.registerWh)).toEqual([10_000, 12_000, 14_000, 16_000]);
    const transitions = await withTenant(knex, A, (trx) => trx('orders.order_transitions').where({ order_id: o.id }).orderBy('id'));
    expect(transitions.map((t: { to_state: string }) => t.to_state)).toEqual(['PENDING', 'CHARGING', 'COMPLETED', 'TO_PAY']);
    // payable: announced once through the outbox, amount in fen
    const announced = (await outbox(A)).filter(
      (c: { order_id: string; payload: { type?: string } }) => c.order_id === o.id && c.payload.type === 'order.completed',
    );
    expect(announced).toHaveLength(1);
    expect(announced[0].payload).toMatchObject({ version: 1, tenantId: A, orderId: o.id, data: { amount: 600, currency: 'CNY', energyWh: 6000 } });
    // stopping a completed order through the API is an illegal transition, said clearly
    const again = await sessions.stopCharging(caller, o.id);
    expect(again).toEqual({
      ok: false,
      errors: [expect.objectContaining({ code: 'ILLEGAL_TRANSITION', message: 'An order in state TO_PAY cannot become FINISHING' })],
    });
  });

  it('a stop for an unknown transaction is flagged for review once, however often it comes', async () => {
    const stop = { tenantId: A, chargerCode: ocpp.code, transactionId: '99999', meterStopWh: 1, stoppedAt: now, reason: null };
    expect(await sessions.onSessionStopped({ ...stop, eventId: ev() })).toBe('flagged');
    expect(await sessions.onSessionStopped({ ...stop, eventId: ev() })).toBe('flagged');
    const anomalies = await withTenant(knex, A, (trx) => trx('orders.anomalies').where({ transaction_id: '99999' }));
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ kind: 'STOP_FOR_UNKNOWN_TRANSACTION', state: 'OPEN' });
  });

  it('a start the charger rejects ends FAILED with the reason; one it never confirms times out', async () => {
    const r = await sessions.startCharging(caller, { chargerId: ocpp.chargerId, connectorNo: 2, idempotencyKey: `start-${randomUUID()}` });
    if (!r.ok) throw new Error('start failed');
    const [cmd] = (await outbox(A)).filter((c: { order_id: string }) => c.order_id === r.value.id);
    expect(
      await sessions.onStartCommandResult({ tenantId: A, chargerCode: ocpp.code, eventId: ev(), commandId: cmd.id, accepted: false, reason: 'Rejected' }),
    ).toBe('applied');
    expect(await order(r.value.id)).toMatchObject({ state: 'FAILED', failure_reason: 'START_REJECTED: Rejected' });

    const y = await sessions.startCharging(caller, { chargerId: ykc.chargerId, connectorNo: 1, idempotencyKey: `start-${randomUUID()}` });
    if (!y.ok) throw new Error('start failed');
    expect(y.value.transactionId).toMatch(/^\d{32}$/); // the platform issues YKC serials
    // the database stamps created_at with its own clock: move ours past the deadline from there
    now = new Date(Date.now() + 61_000);
    const expired = await sessions.expirePendingStarts(async (before) => {
      const { rows } = await knex.raw('select id, tenant_id as "tenantId" from orders.stale_pending_starts(?, 100)', [before]);
      return rows;
    });
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await order(y.value.id)).toMatchObject({ state: 'FAILED', failure_reason: expect.stringMatching(/^START_TIMEOUT/) });
  });

  it('a local start (card) creates its own order with the station resolved; a charger offline mid-session stays open until a force-close with a reason', async () => {
    const start = {
      tenantId: A,
      chargerCode: ocpp.code,
      connectorNo: 2,
      transactionId: '2002',
      idTag: 'CARD-1',
      meterStartWh: 50_000,
      startedAt: new Date(now.getTime() - 3600_000),
    };
    expect(await sessions.onSessionStarted({ ...start, eventId: ev() })).toBe('applied');
    const o = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: ocpp.code, transaction_id: '2002' }).first());
    expect(o).toMatchObject({ origin: 'CHARGER', state: 'CHARGING', station_id: station, charger_id: ocpp.chargerId });
    await sessions.onMeterValues({
      tenantId: A,
      chargerCode: ocpp.code,
      connectorNo: 2,
      transactionId: '2002',
      eventId: ev(),
      readings: [{ at: new Date(now.getTime() - 1800_000), registerWh: 53_000 }],
    });
    const short = await sessions.forceClose(operator, { orderId: o.id, reason: 'x' });
    expect(short.ok).toBe(false);
    const closed = await sessions.forceClose(operator, { orderId: o.id, reason: 'charger offline since yesterday' });
    if (!closed.ok) throw new Error(JSON.stringify(closed.errors));
    expect(closed.value).toMatchObject({ state: 'TO_PAY', energyWh: 3000, amount: { minor: 300, currency: 'CNY' } });
    expect((await order(o.id)).review_flags).toContain('FORCE_CLOSED');
    // the charger comes back and sends its stop later: already closed, nothing changes
    expect(
      await sessions.onSessionStopped({
        tenantId: A,
        chargerCode: ocpp.code,
        transactionId: '2002',
        meterStopWh: 60_000,
        stoppedAt: now,
        reason: null,
        eventId: ev(),
      }),
    ).toBe('duplicate');
    expect((await order(o.id)).amount).toBe('3.00');
  });

  it('stop timestamps before the start are flagged and clamped; a meter stop going backwards is flagged', async () => {
    const start = { tenantId: A, chargerCode: ocpp.code, connectorNo: 2, transactionId: '3003', idTag: 'CARD-2', meterStartWh: 70_000, startedAt: now };
    await sessions.onSessionStarted({ ...start, eventId: ev() });
    await sessions.onSessionStopped({
      tenantId: A,
      chargerCode: ocpp.code,
      transactionId: '3003',
      meterStopWh: 69_000,
      stoppedAt: new Date(now.getTime() - 60_000),
      reason: null,
      eventId: ev(),
    });
    const o = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: ocpp.code, transaction_id: '3003' }).first());
    expect(o).toMatchObject({ state: 'COMPLETED', energy_wh: '0', amount: '0.00' });
    expect([...o.review_flags].sort()).toEqual(['METER_STOP_BACKWARDS', 'STOP_BEFORE_START']);
    expect(o.stopped_at.getTime()).toBe(now.getTime());
  });

  it('payments drive the rest: paid once (however often told), refunds partial then full; a payment that makes no sense is flagged', async () => {
    const o = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: ocpp.code, transaction_id: '1001' }).first());
    const paid = { eventId: ev(), tenantId: A, orderId: o.id, amount: money(600, 'CNY'), paidAt: now };
    expect(await sessions.onPaymentSucceeded(paid)).toBe('applied');
    expect(await sessions.onPaymentSucceeded(paid)).toBe('duplicate');
    expect(await order(o.id)).toMatchObject({ state: 'PAID', paid_amount: '6.00' });
    expect(await sessions.onRefundSucceeded({ eventId: ev(), tenantId: A, orderId: o.id, refundedTotal: money(200, 'CNY'), fullyRefunded: false })).toBe(
      'applied',
    );
    expect(await order(o.id)).toMatchObject({ state: 'PARTIALLY_REFUNDED', refunded_amount: '2.00' });
    expect(await sessions.onRefundSucceeded({ eventId: ev(), tenantId: A, orderId: o.id, refundedTotal: money(600, 'CNY'), fullyRefunded: true })).toBe(
      'applied',
    );
    expect(await order(o.id)).toMatchObject({ state: 'REFUNDED', refunded_amount: '6.00' });

    // a payment for a session still charging, of the wrong amount: recorded and flagged, state untouched
    await sessions.onSessionStarted({
      eventId: ev(),
      tenantId: A,
      chargerCode: ocpp.code,
      connectorNo: 1,
      transactionId: '4004',
      idTag: 'CARD-9',
      meterStartWh: 0,
      startedAt: now,
    });
    const open = await withTenant(knex, A, (trx) => trx('orders.orders').where({ charger_code: ocpp.code, transaction_id: '4004' }).first());
    expect(await sessions.onPaymentSucceeded({ eventId: ev(), tenantId: A, orderId: open.id, amount: money(999, 'CNY'), paidAt: now })).toBe('flagged');
    expect(await order(open.id)).toMatchObject({ state: 'CHARGING', paid_amount: '9.99', review_flags: ['PAID_BUT_NOT_COMPLETED'] });
  });

  it('a batch: facts commit together, once; one failure — even caught — keeps nothing of it; another tenant is not part of it', async () => {
    const store = new PgOrderStore(knex);
    const ids = Array.from({ length: 4 }, () => randomUUID());
    const inbox = () => withTenant(knex, A, (trx) => trx('orders.inbox').whereIn('event_id', ids).pluck('event_id'));
    await store.batch(A, async () => {
      await store.inTenant(A, (tx) => tx.markProcessed(ids[0]));
      await store.inTenant(A, (tx) => tx.markProcessed(ids[1]));
      // not committed yet: another connection sees none of it
      expect(await inbox()).toEqual([]);
    });
    expect(new Set(await inbox())).toEqual(new Set([ids[0], ids[1]]));
    await expect(
      store.batch(A, async () => {
        await store.inTenant(A, (tx) => tx.markProcessed(ids[2]));
        await store
          .inTenant(A, async () => {
            throw new Error('this fact cannot be applied');
          })
          .catch(() => undefined);
        await store.inTenant(A, (tx) => tx.markProcessed(ids[3]));
      }),
    ).rejects.toThrow('cannot be applied');
    expect(new Set(await inbox())).toEqual(new Set([ids[0], ids[1]]));
    const other = randomUUID();
    await store.batch(A, () => store.inTenant(B, (tx) => tx.markProcessed(other)));
    expect(await withTenant(knex, B, (trx) => trx('orders.inbox').where({ event_id: other }).pluck('tenant_id'))).toEqual([B]);
  });

  it('another tenant sees none of these orders (RLS as the application role)', async () => {
    const seen = await withTenant(knex, B, (trx) => trx('orders.orders').count<{ n: string }[]>({ n: '*' }));
    expect(Number(seen[0].n)).toBe(0);
    const none = await knex.raw('select count(*)::int as n from orders.orders');
    expect(none.rows[0].n).toBe(0);
  });

  it('reports orders and starts to the business metrics once committed, and nothing of a batch that was rolled back', async () => {
    reported.length = 0;
    const start = await measured.startCharging(caller, { chargerId: counted.chargerId, connectorNo: 1, idempotencyKey: `m-${randomUUID()}` });
    if (!start.ok) throw new Error('start failed');
    await measured.startCharging(caller, { chargerId: counted.chargerId, connectorNo: 1, idempotencyKey: `m-${randomUUID()}` });
    await measured.startCharging(caller, { chargerId: counted.chargerId, connectorNo: 9, idempotencyKey: 'short' });
    expect(reported).toEqual(['created:API', 'refused:CONNECTOR_BUSY', 'refused:INVALID_INPUT']);

    reported.length = 0;
    const base = { tenantId: A, chargerCode: counted.code, connectorNo: 1, transactionId: '7001', idTag: start.value.idTag, meterStartWh: 0 };
    // in a batch that fails afterwards: the start was applied, then undone with the batch — not counted
    const store = new PgOrderStore(knex);
    const batched = new SessionService(store, new FixedDirectory(new Map([[counted.code, counted]])), pricer, { now: () => now }, {}, recorder);
    await expect(
      batched.inBatch(A, async () => {
        await batched.onSessionStarted({ ...base, eventId: ev(), startedAt: new Date('2026-11-24T09:00:00Z') });
        throw new Error('the next fact of the batch fails');
      }),
    ).rejects.toThrow('fails');
    expect(reported).toEqual([]);
    expect(await measured.onSessionStarted({ ...base, eventId: ev(), startedAt: new Date('2026-11-24T09:00:00Z') })).toBe('applied');
    expect(await measured.onSessionStopped({ ...base, eventId: ev(), meterStopWh: 1_000, stoppedAt: new Date('2026-11-24T09:30:00Z'), reason: null })).toBe(
      'applied',
    );
    // a card start on the other connector: an order the charger started
    expect(
      await measured.onSessionStarted({
        ...base,
        connectorNo: 2,
        transactionId: '7002',
        idTag: 'CARD-1',
        eventId: ev(),
        startedAt: new Date('2026-11-24T09:05:00Z'),
      }),
    ).toBe('applied');
    expect(reported).toEqual(['accepted', 'completed', 'created:CHARGER']);
  });
});
