import { randomUUID } from 'node:crypto';
import type { ChargerEvent } from '@evcs/events';
import { createKnex, createLogger, Identity, Knex, listen, money, SubgraphServer, TokenVerifier, withTenant } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations as tariffsMigrations } from '@evcs/tariffs';
import { createOrdersServer, createSessionService, migrations } from '../src';
import type { ChargerDirectory, ChargerInfo } from '../src/domain/ports';
import type { SessionService } from '../src/domain/session-service';
import { applyChargerEvent } from '../src/events/charger-events-consumer';
import { RealPricing, startRealPricing } from './real-pricing';

/**
 * A live session's progress through the orders API (real HTTP, real Postgres), priced by the
 * real tariffs service: meter values as the bridge publishes them (OCPP with power and SoC,
 * YKC 0x13 energy since start with SoC), the running cost at each reading, and that cost equal
 * to the bill when the session stops at that reading; and every order's timeline of state
 * changes with their causes and sources.
 */
describe('orders: live sessions — ChargingOrder.progress and timeline (real HTTP, real Postgres, real tariffs)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let pricing: RealPricing;
  let orders: SubgraphServer;
  let sessions: SessionService;
  let url: string;
  const T = randomUUID();
  const stationId = randomUUID();
  const driver = randomUUID();
  const ocpp: ChargerInfo = { chargerId: randomUUID(), code: `CP-${randomUUID().slice(0, 6)}`, stationId, protocol: 'OCPP16', connectorNos: [1] };
  const ykc: ChargerInfo = { chargerId: randomUUID(), code: `32${String(Date.now()).slice(-12)}`, stationId, protocol: 'YKC', connectorNos: [1] };
  const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3600_000);
  const min = (m: number) => new Date(start.getTime() + m * 60_000).toISOString();

  beforeAll(async () => {
    db = await createTestDatabase([migrations, tariffsMigrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
    pricing = await startRealPricing(db, knex, T);
    const { pricer, routerKey } = pricing;
    const chargers: ChargerDirectory = {
      byId: async (t, id) => (t === T ? ([ocpp, ykc].find((c) => c.chargerId === id) ?? null) : null),
      byCode: async (t, code) => (t === T ? ([ocpp, ykc].find((c) => c.code === code) ?? null) : null),
    };
    sessions = createSessionService({ knex, chargers, pricer });
    orders = await createOrdersServer({
      knex,
      verifier: new TokenVerifier({ keys: [routerKey.publicJwk] }, ['evcs-router']),
      logger: createLogger('orders-progress-test', { level: 'silent' }),
      chargers,
      pricer,
    });
    url = `http://127.0.0.1:${await listen(orders.server, 0)}/graphql`;
  });
  afterAll(async () => {
    await orders?.stop();
    await pricing?.stop();
    await knex?.destroy();
    await db?.drop();
  });

  const gql = async (query: string, variables: Record<string, unknown>, id: Partial<Identity> = {}) => {
    const token = await pricing.router.issue({
      subject: driver,
      kind: 'user',
      tenantId: T,
      roles: [],
      permissions: ['order:read'],
      dataScope: 'SELF',
      visibleTenantIds: [T],
      ...id,
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  };
  const PROGRESS = `query($id: ID!) { order(id: $id) { state amount { minor currency } progress {
    readingAt meter { wh } energy { wh } powerW socPercent cost { minor currency formatted } } } }`;

  const event = (charger: ChargerInfo, type: string, data: Record<string, unknown>): ChargerEvent =>
    ({
      id: randomUUID(),
      version: 1,
      tenantId: T,
      chargerId: charger.code,
      occurredAt: new Date().toISOString(),
      receivedAt: new Date().toISOString(),
      source: { protocol: charger.protocol, bridgeId: 'test' },
      type,
      data,
    }) as ChargerEvent;
  const apply = async (e: ChargerEvent) => expect(await applyChargerEvent(sessions, e)).toBe('applied');
  const orderId = async (code: string, tx: string): Promise<string> =>
    (await withTenant(knex, T, (trx) => trx('orders.orders').where({ charger_code: code, transaction_id: tx }).first())).id;

  it('OCPP: energy, power and SoC of the latest reading, the cost so far, and a bill at stop equal to the last cost', async () => {
    await apply(
      event(ocpp, 'session.started', { connectorId: 1, transactionId: '41', idTag: 'CARD', meterStartWh: 100_000, startedAt: min(0), userId: driver }),
    );
    const id = await orderId(ocpp.code, '41');
    const before = await gql(PROGRESS, { id });
    expect(before.data.order.progress).toEqual({ readingAt: null, meter: null, energy: { wh: '0' }, powerW: null, socPercent: null, cost: null });

    const sample = (wh: string, extra: Record<string, string>[]) => [
      { measurand: 'Energy.Active.Import.Register', value: wh, unit: 'Wh', format: 'Raw', context: 'Sample.Periodic' },
      ...extra.map((e) => ({ format: 'Raw', ...e })),
    ];
    await apply(
      event(ocpp, 'session.meter_values', {
        connectorId: 1,
        transactionId: '41',
        readings: [
          { timestamp: min(30), samples: sample('103500', [{ measurand: 'Power.Active.Import', value: '7200', unit: 'W' }]) },
          {
            timestamp: min(60),
            samples: sample('107000', [
              { measurand: 'Power.Active.Import', value: '7.4', unit: 'kW' },
              { measurand: 'SoC', value: '55', unit: 'Percent', location: 'EV' },
            ]),
          },
        ],
      }),
    );
    const live = (await gql(PROGRESS, { id })).data.order;
    expect(live.state).toBe('CHARGING');
    expect(live.progress).toMatchObject({ readingAt: min(60), meter: { wh: '107000' }, energy: { wh: '7000' }, powerW: 7400, socPercent: 55 });
    const cost = live.progress.cost;
    expect(cost.currency).toBe('CNY');
    expect(Number.isInteger(cost.minor) && cost.minor > 0).toBe(true);

    await apply(event(ocpp, 'session.stopped', { transactionId: '41', meterStopWh: 107_000, stoppedAt: min(60), reason: 'Local' }));
    const done = (await gql(PROGRESS, { id })).data.order;
    expect(done.progress).toBeNull();
    expect(done.amount).toEqual({ minor: cost.minor, currency: cost.currency });
  });

  it('YKC: energy since start before the pile’s record (no register), power and SoC from 0x13', async () => {
    const serial = `${ykc.code}01${String(Date.now()).slice(-16)}`.slice(0, 32);
    await apply(event(ykc, 'session.started', { connectorId: 1, transactionId: serial, startedAt: min(0), userId: driver }));
    const id = await orderId(ykc.code, serial);
    await apply(
      event(ykc, 'session.meter_values', {
        connectorId: 1,
        transactionId: serial,
        readings: [
          {
            timestamp: min(20),
            samples: [
              { measurand: 'Voltage', value: '750.0', unit: 'V' },
              { measurand: 'Current.Import', value: '40.0', unit: 'A' },
              { measurand: 'Power.Active.Import', value: '30000.00', unit: 'W' },
              { measurand: 'SoC', value: '42', unit: 'Percent' },
              { measurand: 'Energy.Active.Import.Interval', value: '10.0004', unit: 'kWh', sinceStart: true },
              { measurand: 'Amount', value: '9.0000', unit: 'CNY', sinceStart: true },
            ],
          },
        ],
      }),
    );
    const p = (await gql(PROGRESS, { id })).data.order.progress;
    expect(p).toMatchObject({ readingAt: min(20), meter: null, energy: { wh: '10000' }, powerW: 30_000, socPercent: 42, cost: { currency: 'CNY' } });
    expect(p.cost.minor).toBeGreaterThan(0);
  });

  const TIMELINE = `query($id: ID!) { order(id: $id) { state timeline { at from to cause source } } }`;
  const timeline = async (id: string): Promise<{ from: string | null; to: string; cause: string | null; source: string }[]> => {
    const r = await gql(TIMELINE, { id });
    expect(r.errors).toBeUndefined();
    for (const t of r.data.order.timeline) expect(t.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    return r.data.order.timeline.map(({ at: _at, ...t }: { at: string }) => t);
  };

  it('timeline: a charger-started session through its bill and payment (CHARGER, PAYMENT)', async () => {
    const id = await orderId(ocpp.code, '41');
    const { amount } = (await gql(PROGRESS, { id })).data.order;
    const paid = { eventId: randomUUID(), tenantId: T, orderId: id, amount: money(amount.minor, amount.currency), paidAt: new Date() };
    expect(await sessions.onPaymentSucceeded(paid)).toBe('applied');
    expect(await timeline(id)).toEqual([
      { from: null, to: 'CHARGING', cause: 'STARTED_AT_CHARGER', source: 'CHARGER' },
      { from: 'CHARGING', to: 'COMPLETED', cause: 'Local', source: 'CHARGER' },
      { from: 'COMPLETED', to: 'TO_PAY', cause: 'PAYABLE', source: 'PAYMENT' },
      { from: 'TO_PAY', to: 'PAID', cause: 'PAYMENT_SUCCEEDED', source: 'PAYMENT' },
    ]);
  });

  it('timeline: each change a charger caused names the charger message behind it, as the bridge published it', async () => {
    const TIMELINE_MESSAGES = `query($id: ID!) { order(id: $id) { timeline { to cause chargerMessage { eventId type protocol occurredAt } } } }`;
    const messages = async (id: string) => {
      const r = await gql(TIMELINE_MESSAGES, { id });
      expect(r.errors).toBeUndefined();
      return r.data.order.timeline;
    };
    // A local start and its stop: the order's first state and its completion, each behind its message.
    const started = event(ocpp, 'session.started', {
      connectorId: 1,
      transactionId: '43',
      idTag: 'CARD',
      meterStartWh: 300_000,
      startedAt: min(80),
      userId: driver,
    });
    started.occurredAt = min(80);
    await apply(started);
    const stopped = event(ocpp, 'session.stopped', { transactionId: '43', meterStopWh: 301_000, stoppedAt: min(90), reason: 'EVDisconnected' });
    stopped.occurredAt = min(90);
    await apply(stopped);
    const local = await orderId(ocpp.code, '43');
    expect(await messages(local)).toEqual([
      {
        to: 'CHARGING',
        cause: 'STARTED_AT_CHARGER',
        chargerMessage: { eventId: started.id, type: 'session.started', protocol: 'OCPP16', occurredAt: min(80) },
      },
      { to: 'COMPLETED', cause: 'EVDisconnected', chargerMessage: { eventId: stopped.id, type: 'session.stopped', protocol: 'OCPP16', occurredAt: min(90) } },
      { to: 'TO_PAY', cause: 'PAYABLE', chargerMessage: null },
    ]);

    // A remote start the charger refused: the request has none, the refusal is the charger's answer.
    const asked = await sessions.startCharging(
      { tenantId: T, userId: driver },
      { chargerId: ocpp.chargerId, connectorNo: 1, idempotencyKey: `key-${randomUUID()}` },
    );
    if (!asked.ok) throw new Error(JSON.stringify(asked.errors));
    const command = await withTenant(knex, T, (trx) => trx('orders.outbox').where({ order_id: asked.value.id }).first('id'));
    const refused = event(ocpp, 'command.result', { commandId: command.id, command: 'session.start', status: 'REJECTED' });
    refused.occurredAt = min(95);
    await apply(refused);
    expect(await messages(asked.value.id)).toEqual([
      { to: 'PENDING', cause: 'REQUESTED', chargerMessage: null },
      { to: 'FAILED', cause: 'START_REJECTED', chargerMessage: { eventId: refused.id, type: 'command.result', protocol: 'OCPP16', occurredAt: min(95) } },
    ]);
  });

  it('timeline: a remote start that timed out (RECONCILIATION), one confirmed and stopped through the API (API, CHARGER)', async () => {
    const caller = { tenantId: T, userId: driver };
    const start = async (key: string) => {
      const out = await sessions.startCharging(caller, { chargerId: ocpp.chargerId, connectorNo: 1, idempotencyKey: key });
      if (!out.ok) throw new Error(JSON.stringify(out.errors));
      return out.value;
    };
    const timedOut = await start(`key-${randomUUID()}`);
    expect(await sessions.expirePendingStarts(async () => [{ id: timedOut.id, tenantId: T }])).toBe(1);
    expect(await timeline(timedOut.id)).toEqual([
      { from: null, to: 'PENDING', cause: 'REQUESTED', source: 'API' },
      { from: 'PENDING', to: 'FAILED', cause: 'START_TIMEOUT', source: 'RECONCILIATION' },
    ]);

    const remote = await start(`key-${randomUUID()}`);
    await apply(
      event(ocpp, 'session.started', {
        connectorId: 1,
        transactionId: '42',
        idTag: remote.idTag,
        meterStartWh: 200_000,
        startedAt: min(70),
        trigger: 'REMOTE',
      }),
    );
    expect((await sessions.stopCharging(caller, remote.id)).ok).toBe(true);
    expect(await timeline(remote.id)).toEqual([
      { from: null, to: 'PENDING', cause: 'REQUESTED', source: 'API' },
      { from: 'PENDING', to: 'CHARGING', cause: 'STARTED', source: 'CHARGER' },
      { from: 'CHARGING', to: 'FINISHING', cause: 'STOP_REQUESTED', source: 'API' },
    ]);
  });

  it('timeline: a session an operator closed (OPERATOR)', async () => {
    const [ykcOrder] = await withTenant(knex, T, (trx) => trx('orders.orders').where({ charger_code: ykc.code }).select('id'));
    const closed = await sessions.forceClose(
      { tenantId: T, userId: null, audit: { type: 'USER' as const, id: randomUUID(), onBehalfOf: null, requestId: null, clientAddress: null } },
      { orderId: ykcOrder.id, reason: 'pile offline for good' },
    );
    expect(closed.ok).toBe(true);
    const t = await timeline(ykcOrder.id);
    expect(t.slice(0, 2)).toEqual([
      { from: null, to: 'CHARGING', cause: 'STARTED_AT_CHARGER', source: 'CHARGER' },
      { from: 'CHARGING', to: 'COMPLETED', cause: 'FORCE_CLOSED: pile offline for good', source: 'OPERATOR' },
    ]);
  });

  it('is the order’s: another driver (SELF) sees neither the order nor its progress', async () => {
    const id = await orderId(ocpp.code, '41');
    expect((await gql(PROGRESS, { id }, { subject: randomUUID() })).data.order).toBeNull();
  });
});
