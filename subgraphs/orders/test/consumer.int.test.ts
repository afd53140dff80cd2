import { randomUUID } from 'node:crypto';
import { ChargerEvent, encodeChargerEvent } from '@evcs/events';
import {
  AppError,
  createKnex,
  createLogger,
  DeadLetterRecorder,
  ErrorCodes,
  KafkaEventBus,
  Knex,
  PgDeadLetterStore,
  Subscription,
  withTenant,
  formatMoney,
  money,
} from '@evcs/platform';
import { createTestDatabase, ensureKafka, eventually, TestDatabase, uniqueName } from '@evcs/testkit';
import { migrations } from '../src';
import type { Bill, ChargerDirectory, Pricer } from '../src/domain/ports';
import { SessionService } from '../src/domain/session-service';
import { chargerEventsHandler, startChargerEventsConsumer } from '../src/events/charger-events-consumer';
import { PgOrderStore } from '../src/persistence/order-store';

const silent = createLogger('orders-consumer-test', { level: 'silent' });

/** 1.00 per kWh, in integer fen. */
const pricer: Pricer = {
  price: async (req): Promise<Bill> => {
    const fen = Math.round(req.energyWh / 10);
    const total = money(fen, 'CNY');
    return {
      currency: 'CNY',
      planId: 'p',
      source: 'TENANT',
      planVersions: [1],
      timezone: 'Asia/Shanghai',
      electricityAmount: total,
      serviceAmount: money(0, 'CNY'),
      totalExact: formatMoney(total),
      total,
      items: [],
    };
  },
};

describe('orders consume charger events exactly once (real Kafka, real Postgres)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let bus: KafkaEventBus;
  const topic = uniqueName('t_charger_events');
  const T = randomUUID();
  const chargers: ChargerDirectory = {
    byId: async () => null,
    byCode: async (tenantId, code) => ({ chargerId: randomUUID(), code, stationId: randomUUID(), protocol: 'OCPP16', connectorNos: [1] }),
  };
  const subs: Subscription[] = [];
  let deadLetters: DeadLetterRecorder;

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
    bus = new KafkaEventBus({ clientId: uniqueName('orders-test'), brokers: await ensureKafka(), logger: silent });
    const deadLetterTopic = uniqueName('t_dead_letters');
    await bus.ensureTopics([
      { topic, partitions: 3 },
      { topic: deadLetterTopic, partitions: 1 },
    ]);
    deadLetters = new DeadLetterRecorder({ store: new PgDeadLetterStore(knex, 'orders'), bus, topic: deadLetterTopic });
  });
  afterAll(async () => {
    await Promise.allSettled(subs.map((s) => s.stop()));
    await bus?.close();
    await knex?.destroy();
    await db?.drop();
  });

  const envelope = (chargerId: string, occurredAt: string) => ({
    id: randomUUID(),
    version: 1 as const,
    tenantId: T,
    chargerId,
    occurredAt,
    receivedAt: occurredAt,
    source: { protocol: 'OCPP16' as const, bridgeId: 'b1' },
  });

  /** A whole session of one charger, with every message sent twice (new ids, as a charger resending after a lost reply would). */
  function session(code: string, tx: string): ChargerEvent[] {
    const started: ChargerEvent = {
      ...envelope(code, '2026-11-24T08:00:00Z'),
      type: 'session.started',
      data: { connectorId: 1, transactionId: tx, idTag: 'CARD', meterStartWh: 1000, startedAt: '2026-11-24T08:00:00Z', trigger: 'LOCAL' },
    };
    const meter: ChargerEvent = {
      ...envelope(code, '2026-11-24T08:30:00Z'),
      type: 'session.meter_values',
      data: {
        connectorId: 1,
        transactionId: tx,
        readings: [{ timestamp: '2026-11-24T08:30:00Z', samples: [{ measurand: 'Energy.Active.Import.Register', value: '4.5', unit: 'kWh' }] }],
      },
    };
    const stopped: ChargerEvent = {
      ...envelope(code, '2026-11-24T09:00:00Z'),
      type: 'session.stopped',
      data: { transactionId: tx, meterStopWh: 9000, stoppedAt: '2026-11-24T09:00:00Z', reason: 'Local' },
    };
    const again = (e: ChargerEvent): ChargerEvent => ({ ...e, id: randomUUID() });
    return [started, again(started), meter, again(meter), stopped, again(stopped)];
  }

  it('statuses, heartbeats and boots are skipped by their header: a call of only those costs orders no statement', async () => {
    const sessions = new SessionService(new PgOrderStore(knex), chargers, pricer, { now: () => new Date() });
    const handle = chargerEventsHandler(sessions);
    const code = `SKIP-${randomUUID().slice(0, 6)}`;
    const at = '2026-11-24T08:00:00Z';
    const noise: ChargerEvent[] = [
      { ...envelope(code, at), type: 'connector.status_changed', data: { connectorId: 1, status: 'Charging', errorCode: 'NoError' } },
      { ...envelope(code, at), type: 'charger.heartbeat', data: {} },
      { ...envelope(code, at), type: 'charger.booted', data: { vendor: 'V', model: 'M' } },
    ] as ChargerEvent[];
    const asMessages = (events: ChargerEvent[]) =>
      events.map((e, i) => {
        const enc = encodeChargerEvent(e);
        return { topic, partition: 0, offset: String(i), key: enc.key, value: Buffer.from(enc.value), headers: enc.headers, timestamp: '0' };
      });
    const statements: string[] = [];
    const count = (q: { sql: string }) => statements.push(q.sql);
    knex.on('query', count);
    try {
      await handle(asMessages(noise));
      expect(statements).toEqual([]);
      // a session's start among them is applied (and only it opens a transaction)
      await handle(asMessages([...noise, session(code, '900')[0]]));
    } finally {
      knex.off('query', count);
    }
    expect(statements.length).toBeGreaterThan(0);
    const orders = await withTenant(knex, T, (trx) => trx('orders.orders').where({ charger_code: code }));
    expect(orders).toHaveLength(1);
  });

  it('a consumer killed mid-batch, replayed by its successor, leaves one order and one bill per session and loses nothing', async () => {
    const groupId = uniqueName('orders-charger-events');
    const codes = Array.from({ length: 6 }, (_, i) => `KILL-${i}-${randomUUID().slice(0, 4)}`);
    const events = codes.flatMap((c, i) => session(c, String(100 + i)));
    // the same stream twice: at-least-once delivery upstream as well
    await bus.publish(topic, [...events, ...events].map(encodeChargerEvent));

    // The first consumer dies after applying 10 events: its process is gone before any offset commit.
    let applied = 0;
    const store = new PgOrderStore(knex);
    const dying = new SessionService(
      {
        inTenant: async (tenantId, fn) => {
          if (applied >= 10) throw new Error('process killed');
          const r = await store.inTenant(tenantId, fn);
          applied++;
          return r;
        },
        // Batches as the real store makes them: a kill mid-batch rolls back the whole batch, as a crash would.
        batch: (tenantId, fn) => store.batch(tenantId, fn),
        startInOneTrip: (...args) => store.startInOneTrip(...args),
      },
      chargers,
      pricer,
      { now: () => new Date('2026-11-24T12:00:00Z') },
    );
    const first = await startChargerEventsConsumer({ bus, sessions: dying, deadLetters, topic, groupId, fromBeginning: true });
    subs.push(first);
    await first.ready;
    await eventually(async () => applied >= 10, { timeoutMs: 30_000, what: 'first consumer applied 10 events' });
    await first.stop();

    const healthy = new SessionService(store, chargers, pricer, { now: () => new Date('2026-11-24T12:00:00Z') });
    const second = await startChargerEventsConsumer({ bus, sessions: healthy, deadLetters, topic, groupId, fromBeginning: true });
    subs.push(second);
    await second.ready;
    const rows = await eventually(
      async () => {
        const r = await withTenant(knex, T, (trx) => trx('orders.orders').whereIn('charger_code', codes).orderBy('charger_code'));
        return r.length === codes.length && r.every((o: { state: string }) => o.state === 'TO_PAY') ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'every session completed' },
    );
    expect(rows.map((o: { amount: string; energy_wh: string }) => [o.amount, o.energy_wh])).toEqual(codes.map(() => ['8.00', '8000']));
    const readings = await withTenant(knex, T, (trx) =>
      trx('orders.meter_readings').whereIn(
        'order_id',
        rows.map((o: { id: string }) => o.id),
      ),
    );
    expect(readings.map((r: { register_wh: string }) => r.register_wh)).toEqual(codes.map(() => '4500'));
    const transitions = await withTenant(knex, T, (trx) =>
      trx('orders.order_transitions')
        .whereIn(
          'order_id',
          rows.map((o: { id: string }) => o.id),
        )
        .count<{ n: string }[]>({ n: '*' }),
    );
    expect(Number(transitions[0].n)).toBe(codes.length * 3); // CHARGING, COMPLETED and TO_PAY once each
  });

  it('one event that can never be applied, amid others of the same tenant and partition: dead-lettered alone, the rest applied once', async () => {
    const oneTopic = uniqueName('t_charger_events_one');
    await bus.ensureTopics([{ topic: oneTopic, partitions: 1 }]);
    const poison = `POISON-${randomUUID().slice(0, 4)}`;
    const codes = [`GOOD-A-${randomUUID().slice(0, 4)}`, poison, `GOOD-B-${randomUUID().slice(0, 4)}`];
    // Resolving this charger is refused for good (no retry can help): its start can never be applied.
    const directory: ChargerDirectory = {
      byId: async () => null,
      byCode: async (tenantId, code) => {
        if (code === poison) throw new AppError(ErrorCodes.FORBIDDEN, 'this charger belongs to no one you may act for');
        return { chargerId: randomUUID(), code, stationId: randomUUID(), protocol: 'OCPP16', connectorNos: [1] };
      },
    };
    await bus.publish(oneTopic, codes.flatMap((c, i) => session(c, String(200 + i))).map(encodeChargerEvent));
    const sessions = new SessionService(new PgOrderStore(knex), directory, pricer, { now: () => new Date('2026-11-24T12:00:00Z') });
    const sub = await startChargerEventsConsumer({ bus, sessions, deadLetters, topic: oneTopic, groupId: uniqueName('orders-poison'), fromBeginning: true });
    subs.push(sub);
    const rows = await eventually(
      async () => {
        const r = await withTenant(knex, T, (trx) => trx('orders.orders').whereIn('charger_code', codes));
        const byCode = Object.fromEntries(r.map((o: { charger_code: string; state: string }) => [o.charger_code, o.state]));
        return byCode[codes[0]] === 'TO_PAY' && byCode[codes[2]] === 'TO_PAY' ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'the good sessions billed' },
    );
    // The poisoned start was skipped (no order; its stop is flagged as for an unknown transaction); the others, once each.
    expect(Object.fromEntries(rows.map((o: { charger_code: string; state: string }) => [o.charger_code, o.state]))).toEqual({
      [codes[0]]: 'TO_PAY',
      [codes[2]]: 'TO_PAY',
    });
    const readings = await withTenant(knex, T, (trx) =>
      trx('orders.meter_readings').whereIn(
        'order_id',
        rows.map((o: { id: string }) => o.id),
      ),
    );
    expect(readings).toHaveLength(2);
    // The start refused for good (sent twice) is two dead letters, with the refusal's code.
    const dead = await withTenant(knex, T, (trx) => trx('orders.dead_letters').where({ topic: oneTopic }));
    expect(dead.map((d: { reason_code: string; key: string }) => [d.reason_code, d.key])).toEqual([
      ['FORBIDDEN', poison],
      ['FORBIDDEN', poison],
    ]);
  });
});
