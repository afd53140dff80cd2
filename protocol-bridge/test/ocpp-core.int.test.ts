import { randomUUID } from 'node:crypto';
import { createLogger, KafkaEventBus, listen, Subscription } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import WebSocket from 'ws';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint } from '../src/simulator';
import { BridgeDatabase, bridgeDatabase, collectEvents, Received, testDirectory, TEST_CHARGER_PASSWORD } from './support';

/** A raw OCPP-J connection: send any text, read what comes back. */
async function rawCharger(url: string): Promise<{ ws: WebSocket; call(text: string): Promise<unknown[]>; close(): void }> {
  const id = decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));
  const ws = new WebSocket(url, ['ocpp1.6'], { headers: { authorization: `Basic ${Buffer.from(`${id}:${TEST_CHARGER_PASSWORD}`).toString('base64')}` } });
  const inbox: unknown[][] = [];
  const waiters: ((m: unknown[]) => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as unknown[];
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    call: (text) => {
      ws.send(text);
      const queued = inbox.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
    close: () => ws.close(),
  };
}

describe('OCPP 1.6-J Core → Kafka (real Kafka and Postgres)', () => {
  const tenantId = randomUUID();
  const pendingTenant = randomUUID();
  const topic = uniqueName('ocpp_core_events');
  const logger = createLogger('ocpp-core-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  let bus: KafkaEventBus;
  let bridge: Bridge;
  let other: Bridge;
  let database: BridgeDatabase;
  let subscription: Subscription;
  let received: Received[];
  let url: string;
  let otherUrl: string;
  const cps: SimulatedChargePoint[] = [];
  const directory = testDirectory({
    'CORE-1': { tenantId, chargerId: randomUUID() },
    'CORE-2': { tenantId, chargerId: randomUUID() },
    'CORE-RAW': { tenantId, chargerId: randomUUID() },
    // no password, its tenant commissioning on profile 0
    'CORE-PENDING': { tenantId: pendingTenant, chargerId: randomUUID(), credentialHash: null, allowProfile0Commissioning: true },
  });
  const eventsOf = (id: string) => received.filter((r) => r.event.chargerId === id);
  const cp = (id: string, base = url) => {
    const c = new SimulatedChargePoint({ url: base, id, password: TEST_CHARGER_PASSWORD });
    cps.push(c);
    return c;
  };

  beforeAll(async () => {
    const brokers = await ensureKafka();
    bus = new KafkaEventBus({ clientId: uniqueName('ocpp-core'), brokers, logger });
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    database = await bridgeDatabase();
    const make = (bridgeId: string) =>
      createBridge({ bus, directory, logger, store: database.store, config: bridgeConfig({ bridgeId, heartbeatIntervalS: 60, topic }) });
    bridge = make('core-a');
    other = make('core-b');
    url = `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`;
    otherUrl = `ws://127.0.0.1:${await listen(other.httpServer, 0)}/ocpp`;
    ({ received, subscription } = await collectEvents(bus, topic));
  });

  afterAll(async () => {
    await Promise.allSettled(cps.map((c) => c.close()));
    await bridge?.close();
    await other?.close();
    await subscription?.stop();
    await bus?.close();
    await database?.close();
  });

  it('runs a whole session: Authorize, StartTransaction, MeterValues, StopTransaction → session events', async () => {
    const c = cp('CORE-1');
    await c.connect();
    await c.boot();
    expect((await c.authorize('TAG-1')).idTagInfo.status).toBe('Accepted');
    const startedAt = new Date(Date.now() - 5000);
    const start = await c.startTransaction(1, 'TAG-1', 1200, startedAt);
    expect(start.idTagInfo.status).toBe('Accepted');
    expect(Number.isInteger(start.transactionId)).toBe(true);
    await c.meterValues(1, start.transactionId, 1500);
    expect(await c.stopTransaction(start.transactionId, 2400, { idTag: 'TAG-1', reason: 'Local' })).toEqual({ idTagInfo: { status: 'Accepted' } });

    const events = await eventually(async () => (eventsOf('CORE-1').some((r) => r.event.type === 'session.stopped') ? eventsOf('CORE-1') : null), {
      what: 'session events of CORE-1',
    });
    const byType = (t: string) => events.find((r) => r.event.type === t)!.event;
    expect(byType('session.started').data).toEqual({
      connectorId: 1,
      transactionId: String(start.transactionId),
      idTag: 'TAG-1',
      meterStartWh: 1200,
      startedAt: startedAt.toISOString(),
      trigger: 'LOCAL',
      // This bridge runs without the tenants authority (ACCEPT_EVERY_TAG): id-tags.int.test.ts has the real one.
      authorization: 'Accepted',
    });
    const mv = byType('session.meter_values');
    expect(mv.type === 'session.meter_values' && mv.data.readings[0].samples[0]).toMatchObject({
      measurand: 'Energy.Active.Import.Register',
      value: '1500',
      unit: 'Wh',
    });
    expect(byType('session.stopped').data).toMatchObject({ transactionId: String(start.transactionId), connectorId: 1, meterStopWh: 2400, reason: 'Local' });
  });

  it('carries the reservation a StartTransaction uses up on its session.started', async () => {
    const c = cps.find((x) => x.id === 'CORE-1')!;
    const at = new Date(Date.now() - 3000);
    const start = (await c.call('StartTransaction', { connectorId: 1, idTag: 'TAG-R', meterStart: 3000, reservationId: 7, timestamp: at.toISOString() })) as {
      transactionId: number;
    };
    const started = await eventually(async () =>
      eventsOf('CORE-1').find((r) => r.event.type === 'session.started' && r.event.data.transactionId === String(start.transactionId)),
    );
    expect(started.event.type === 'session.started' && started.event.data.reservationId).toBe(7);
  });

  it('gives a resent StartTransaction the same transaction id — on any bridge instance — and flags the resend', async () => {
    const at = new Date(Date.now() - 60_000);
    const c = cp('CORE-2');
    await c.connect();
    const first = await c.startTransaction(2, 'TAG-2', 500, at);
    await c.close();
    // The charger reconnects to another instance (bridge restarted, load balancer) and resends with a new message id.
    const again = cp('CORE-2', otherUrl);
    await again.connect();
    const second = await again.startTransaction(2, 'TAG-2', 500, at);
    expect(second.transactionId).toBe(first.transactionId);
    const different = await again.startTransaction(2, 'TAG-2', 501, at);
    expect(different.transactionId).not.toBe(first.transactionId);
    expect(await other.diagnostics.metrics.get('OCPP16', 'start_transaction_resend')).toBe(1);
    const starts = await eventually(async () => {
      const list = eventsOf('CORE-2').filter((r) => r.event.type === 'session.started');
      return list.length >= 3 ? list : null;
    });
    expect(starts.map((r) => r.event.type === 'session.started' && r.event.data.resend)).toEqual([undefined, true, undefined]);
  });

  it('answers a StopTransaction for an unknown id so the charger stops retrying, and flags it', async () => {
    const c = cps.find((x) => x.id === 'CORE-1')!;
    expect(await c.stopTransaction(987_654_321, 10)).toEqual({});
    expect(await bridge.diagnostics.metrics.get('OCPP16', 'stop_transaction_unknown_id')).toBe(1);
    const stopped = await eventually(async () =>
      eventsOf('CORE-1').find((r) => r.event.type === 'session.stopped' && r.event.data.transactionId === '987654321'),
    );
    expect(stopped.event.type === 'session.stopped' && stopped.event.data.unknownTransaction).toBe(true);
  });

  it('answers DataTransfer UnknownVendorId and publishes diagnostics and firmware notices', async () => {
    const c = cps.find((x) => x.id === 'CORE-1')!;
    expect(await c.call('DataTransfer', { vendorId: 'com.example', messageId: 'x', data: 'hello' })).toEqual({ status: 'UnknownVendorId' });
    expect(await c.call('DiagnosticsStatusNotification', { status: 'Uploaded' })).toEqual({});
    expect(await c.call('FirmwareStatusNotification', { status: 'Installed' })).toEqual({});
    const notices = await eventually(async () => {
      const list = eventsOf('CORE-1').filter((r) => r.event.type === 'charger.notice');
      return list.length >= 3 ? list : null;
    });
    expect(notices.map((r) => r.event.type === 'charger.notice' && `${r.event.data.kind}:${r.event.data.status}`)).toEqual([
      'DATA_TRANSFER:UnknownVendorId',
      'DIAGNOSTICS:Uploaded',
      'FIRMWARE:Installed',
    ]);
  });

  it('answers malformed calls over a raw WebSocket with the right CALLERROR and counts each by kind', async () => {
    const raw = await rawCharger(`${url}/CORE-RAW`);
    try {
      const m = bridge.diagnostics.metrics;
      const cases: [string, string, string][] = [
        ['bad enum', JSON.stringify([2, 'm1', 'StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Bogus' }]), 'FormationViolation'],
        ['string too long', JSON.stringify([2, 'm2', 'BootNotification', { chargePointVendor: 'V'.repeat(21), chargePointModel: 'M' }]), 'FormationViolation'],
        [
          'wrong type',
          JSON.stringify([2, 'm3', 'StartTransaction', { connectorId: '1', idTag: 'T', meterStart: 0, timestamp: new Date().toISOString() }]),
          'TypeConstraintViolation',
        ],
        ['missing field', JSON.stringify([2, 'm4', 'BootNotification', { chargePointVendor: 'V' }]), 'OccurrenceConstraintViolation'], // the 1.6J errata's spelling
        ['unknown property', JSON.stringify([2, 'm5', 'Heartbeat', { extra: 1 }]), 'PropertyConstraintViolation'],
        ['unknown action', JSON.stringify([2, 'm6', 'FooBar', {}]), 'NotImplemented'],
        [
          'negative connector',
          JSON.stringify([2, 'm7', 'StatusNotification', { connectorId: -1, errorCode: 'NoError', status: 'Available' }]),
          'PropertyConstraintViolation',
        ],
      ];
      for (const [what, text, code] of cases) {
        const before = await m.get('OCPP16', code);
        const reply = await raw.call(text);
        expect([what, reply[0], reply[2]]).toEqual([what, 4, code]);
        expect([what, await m.get('OCPP16', code)]).toEqual([what, before + 1]);
      }
      // Not JSON at all: answered with a CALLERROR (no message id to use), counted, connection kept.
      const before = await m.get('OCPP16', 'RpcFrameworkError');
      const reply = await raw.call('{not json');
      expect(reply[0]).toBe(4);
      expect(await m.get('OCPP16', 'RpcFrameworkError')).toBe(before + 1);
      const ok = await raw.call(JSON.stringify([2, 'm9', 'Heartbeat', {}]));
      expect(ok[0]).toBe(3);
      const frames = bridge.diagnostics.frames.last('CORE-RAW', 100);
      expect(frames.some((f) => f.direction === 'IN' && Buffer.from(f.hex, 'hex').toString() === '{not json')).toBe(true);
    } finally {
      raw.close();
    }
  });

  it('boots a charger let in without a password (profile-0 commissioning) Pending', async () => {
    const c = new SimulatedChargePoint({ url, id: 'CORE-PENDING' });
    cps.push(c);
    await c.connect();
    expect((await c.boot()).status).toBe('Pending');
  });
});
