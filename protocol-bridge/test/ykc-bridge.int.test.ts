import { randomUUID } from 'node:crypto';
import { createLogger, KafkaEventBus, listen, Subscription } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { encodeFrame } from '../src/ykc/frame';
import { heartbeat, heartbeatReply, transactionRecord } from '../src/ykc/messages';
import { BridgeDatabase, bridgeDatabase, collectEvents, flakyBus, listenTcp, Received, testDirectory } from './support';

describe('YKC over TCP → Kafka (real sockets, real Kafka, real Postgres)', () => {
  const tenantId = randomUUID();
  const topic = uniqueName('ykc_events');
  const logger = createLogger('ykc-int-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  let bus: KafkaEventBus;
  let flaky: ReturnType<typeof flakyBus>;
  let bridge: Bridge;
  let database: BridgeDatabase;
  let subscription: Subscription;
  let received: Received[];
  let ykcPort: number;
  const piles: SimulatedYkcPile[] = [];

  const PILE_A = '32010600019236';
  const PILE_B = '32010600019237';
  const PILE_C = '32010600019238';
  const eventsOf = (id: string) => received.filter((r) => r.event.chargerId === id);
  const pile = (pileNo: string, opts: { bigEndianCrc?: boolean; replyTimeoutMs?: number } = {}) => {
    const p = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo, ...opts });
    piles.push(p);
    return p;
  };

  beforeAll(async () => {
    const brokers = await ensureKafka();
    bus = new KafkaEventBus({ clientId: uniqueName('ykc-int'), brokers, logger });
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    flaky = flakyBus(bus);
    database = await bridgeDatabase();
    const directory = testDirectory({
      [PILE_A]: { tenantId, chargerId: randomUUID() },
      [PILE_B]: { tenantId, chargerId: randomUUID() },
      [PILE_C]: { tenantId, chargerId: randomUUID() },
    });
    bridge = createBridge({
      bus: flaky,
      directory,
      logger,
      store: database.store,
      config: bridgeConfig({ bridgeId: 'ykc-int', heartbeatIntervalS: 60, topic }),
    });
    await listen(bridge.httpServer, 0);
    ykcPort = await listenTcp(bridge.ykcServer);
    ({ received, subscription } = await collectEvents(bus, topic));
  });

  afterAll(async () => {
    await Promise.allSettled(piles.map((p) => p.close()));
    await bridge?.close();
    await subscription?.stop();
    await bus?.close();
    await database?.close();
  });

  it('logs a pile in after its events are on Kafka, echoes sequence bytes, and answers heartbeats', async () => {
    const p = pile(PILE_A);
    await p.connect();
    expect(await p.login()).toBe(true);
    const events = await eventually(async () => (eventsOf(PILE_A).length >= 2 ? eventsOf(PILE_A) : null), { what: 'login events' });
    expect(events.map((r) => r.event.type)).toEqual(['charger.connected', 'charger.booted']);
    expect(events.every((r) => r.key === PILE_A && r.event.tenantId === tenantId && r.event.source.protocol === 'YKC')).toBe(true);

    // Sequence bytes echoed as they came, whatever byte order the pile meant.
    const reply = p.next(0x04, 2000);
    p.send(heartbeat, { pileNo: PILE_A, gunNo: '01', faulted: false }, Buffer.from([0xce, 0x04]));
    const f = await reply;
    expect(f.seq.toString('hex')).toBe('ce04');
    expect(heartbeatReply.decode(f.body)).toEqual({ pileNo: PILE_A, gunNo: '01' });
  });

  it('reads frames split across TCP segments and several frames in one segment', async () => {
    const p = piles[0];
    const hb = (gun: string) => encodeFrame(heartbeat.type, 9, heartbeat.encode({ pileNo: PILE_A, gunNo: gun, faulted: false }));
    const both = Buffer.concat([hb('01'), hb('02')]);
    const replies = [p.next(0x04, 3000), p.next(0x04, 3000)];
    // first frame in 3 pieces, the second coalesced with the tail of the first
    p.writeRaw(both.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 30));
    p.writeRaw(both.subarray(3, 10));
    await new Promise((r) => setTimeout(r, 30));
    p.writeRaw(both.subarray(10));
    const [a, b] = await Promise.all(replies);
    expect(heartbeatReply.decode(a.body).gunNo).toBe('01');
    expect(heartbeatReply.decode(b.body).gunNo).toBe('02');
  });

  it('counts and logs a bad CRC, an unknown type and a bad body, and the connection survives', async () => {
    const p = piles[0];
    const metrics = bridge.diagnostics.metrics;
    const before = { crc: await metrics.get('YKC', 'bad_crc'), unknown: await metrics.get('YKC', 'unknown_type'), body: await metrics.get('YKC', 'bad_body') };
    const bad = encodeFrame(heartbeat.type, 3, heartbeat.encode({ pileNo: PILE_A, gunNo: '01', faulted: false }));
    bad[bad.length - 1] ^= 0x55;
    p.writeRaw(bad);
    p.writeRaw(encodeFrame(0x7f, 4, Buffer.from('0102', 'hex')));
    p.writeRaw(encodeFrame(heartbeat.type, 5, Buffer.from('55', 'hex')));
    const hb = await p.heartbeat(1);
    expect(hb.type).toBe(0x04);
    expect(await metrics.get('YKC', 'bad_crc')).toBe(before.crc + 1);
    expect(await metrics.get('YKC', 'unknown_type')).toBe(before.unknown + 1);
    expect(await metrics.get('YKC', 'bad_body')).toBe(before.body + 1);
    const frames = bridge.diagnostics.frames.last(PILE_A, 10);
    expect(frames.some((f) => f.direction === 'IN' && f.hex === bad.toString('hex'))).toBe(true);
  });

  it('accepts a big-endian CRC from a non-conforming pile and answers little-endian', async () => {
    const p = pile(PILE_C, { bigEndianCrc: true });
    await p.connect();
    expect(await p.login()).toBe(true);
    expect(await bridge.diagnostics.metrics.get('YKC', 'crc_big_endian')).toBeGreaterThan(0);
  });

  it('publishes real-time data as connector status and meter values, then the record once however often it is resent', async () => {
    const p = piles[0];
    const serial = `${PILE_A}01${'260101120000'}0001`;
    p.startSession(1, serial);
    p.charge(1, 12_345);
    p.reportRealTime(1);
    const record = p.stopSession(1)!;
    const first = await p.sendRecord(record);
    expect(first).toEqual({ serial, accepted: true });
    // the pile didn't see our confirmation and sends it again
    const again = await p.call(transactionRecord, record, 0x40);
    expect(again.body.subarray(0, 16).toString('hex')).toBe(serial);
    await p.heartbeat(2, true); // a marker event after the resend: Faulted on gun 2
    const events = await eventually(
      async () => (eventsOf(PILE_A).some((r) => r.event.type === 'connector.status_changed' && r.event.data.connectorId === 2) ? eventsOf(PILE_A) : null),
      { what: 'marker after the record resend' },
    );
    const types = events.map((r) => r.event.type);
    expect(types.filter((t) => t === 'transaction.recorded')).toHaveLength(1);
    expect(types.filter((t) => t === 'session.stopped')).toHaveLength(1);
    const meter = events.find((r) => r.event.type === 'session.meter_values')!.event;
    expect(meter.type === 'session.meter_values' && meter.data.transactionId).toBe(serial);
    expect(meter.type === 'session.meter_values' && meter.data.readings[0].samples.find((s) => s.measurand === 'Energy.Active.Import.Interval')?.value).toBe(
      '1.2345',
    );
    const status = events.find((r) => r.event.type === 'connector.status_changed')!.event;
    expect(status.type === 'connector.status_changed' && status.data).toMatchObject({ connectorId: 1, status: 'Charging' });
    const rec = events.find((r) => r.event.type === 'transaction.recorded')!.event;
    expect(rec.type === 'transaction.recorded' && rec.data).toMatchObject({ transactionId: serial, connectorId: 1, energyKwh: '1.2345', currency: 'CNY' });
    expect(await bridge.diagnostics.metrics.get('YKC', 'transaction_record_resend')).toBe(1);
  });

  it('confirms a record only after Kafka accepted it: a failed publish leaves it unconfirmed and the resend gets through', async () => {
    const p = pile(PILE_B, { replyTimeoutMs: 1500 });
    await p.connect();
    expect(await p.login()).toBe(true);
    const serial = `${PILE_B}01${'260101130000'}0002`;
    p.startSession(1, serial);
    p.charge(1, 5000);
    const record = p.stopSession(1)!;
    flaky.failNext('transaction.recorded');
    await expect(p.call(transactionRecord, record, 0x40)).rejects.toThrow(/no 0x40/);
    const confirm = await p.sendRecord(record);
    expect(confirm.accepted).toBe(true);
    const recorded = await eventually(async () => {
      const list = eventsOf(PILE_B).filter((r) => r.event.type === 'transaction.recorded');
      return list.length >= 1 ? list : null;
    });
    expect(recorded).toHaveLength(1);
  });

  it('refuses an unknown pile at login and closes the connection', async () => {
    const p = pile('99999999999999');
    await p.connect();
    const closed = new Promise((r) => p.once('close', r));
    expect(await p.login()).toBe(false);
    await closed;
    expect(await bridge.diagnostics.metrics.get('YKC', 'unknown_pile')).toBe(1);
  });

  it('publishes charger.disconnected when a pile goes away', async () => {
    const p = piles.find((x) => x.pileNo === PILE_C)!;
    await p.close();
    await eventually(async () => eventsOf(PILE_C).some((r) => r.event.type === 'charger.disconnected'), { what: 'PILE_C disconnected' });
  });
});
