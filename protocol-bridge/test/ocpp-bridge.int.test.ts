import { randomUUID } from 'node:crypto';
import { ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { createLogger, EventBus, KafkaEventBus, listen, Subscription } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { RPCError, UnexpectedHttpResponse } from 'ocpp-rpc';
import WebSocket from 'ws';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint } from '../src/simulator';
import { testDirectory, TEST_CHARGER_PASSWORD } from './support';

interface Received {
  key: string | null;
  event: ChargerEvent;
}

describe('OCPP 1.6 bridge → Kafka', () => {
  const tenantId = randomUUID();
  const topic = uniqueName('charger_events');
  const logger = createLogger('bridge-int-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  let bus: KafkaEventBus;
  let bridge: Bridge;
  let subscription: Subscription;
  let url: string;
  let baseHttp: string;
  /** Fail the next publish that carries this event type (simulates a broker outage for one request). */
  let failNextPublishOf: string | undefined;
  const received: Received[] = [];
  const chargePoints: SimulatedChargePoint[] = [];

  const eventsOf = (chargerId: string) => received.filter((r) => r.event.chargerId === chargerId);
  const chargePoint = (id: string, opts: { strictMode?: boolean } = {}) => {
    const cp = new SimulatedChargePoint({ url, id, password: TEST_CHARGER_PASSWORD, ...opts });
    chargePoints.push(cp);
    return cp;
  };

  beforeAll(async () => {
    const brokers = await ensureKafka();
    bus = new KafkaEventBus({ clientId: uniqueName('bridge-int'), brokers, logger });
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    const flakyBus: EventBus = {
      publish: async (t, messages) => {
        if (failNextPublishOf && messages.some((m) => m.headers?.['event-type'] === failNextPublishOf)) {
          failNextPublishOf = undefined;
          throw new Error('simulated broker failure');
        }
        return bus.publish(t, messages);
      },
      subscribe: (o) => bus.subscribe(o),
      ensureTopics: (s) => bus.ensureTopics(s),
      close: () => bus.close(),
    };
    const directory = testDirectory({
      'CP-0001': { tenantId, chargerId: randomUUID() },
      'CP-0002': { tenantId, chargerId: randomUUID() },
      'CP-0003': { tenantId, chargerId: randomUUID() },
    });
    bridge = createBridge({ bus: flakyBus, directory, logger, config: bridgeConfig({ bridgeId: 'bridge-int-test', heartbeatIntervalS: 120, topic }) });
    const port = await listen(bridge.httpServer, 0);
    url = `ws://127.0.0.1:${port}/ocpp`;
    baseHttp = `http://127.0.0.1:${port}`;

    subscription = await bus.subscribe({
      groupId: uniqueName('bridge-int-reader'),
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (messages) => {
        for (const m of messages) received.push({ key: m.key, event: decodeChargerEvent(m.value) });
      },
    });
    await subscription.ready;
  });

  afterAll(async () => {
    await Promise.allSettled(chargePoints.map((cp) => cp.close()));
    await bridge?.close();
    await subscription?.stop();
    await bus?.close();
  });

  it('publishes connected, booted and each status change, in order, keyed by charger, after which it replies', async () => {
    const cp = chargePoint('CP-0001');
    await cp.connect();
    const boot = await cp.boot();
    expect(boot.status).toBe('Accepted');
    expect(boot.interval).toBe(120);
    expect(boot.currentTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const at = new Date(Date.now() - 1000);
    await cp.status(1, 'Available', { timestamp: at });
    await cp.status(1, 'Preparing');
    await cp.status(1, 'Charging');
    const hb = await cp.heartbeat();
    expect(hb.currentTime).toMatch(/Z$/);

    const events = await eventually(async () => (eventsOf('CP-0001').length >= 6 ? eventsOf('CP-0001') : null), {
      timeoutMs: 20_000,
      what: 'six events of CP-0001',
    });
    expect(events.map((r) => r.event.type)).toEqual([
      'charger.connected',
      'charger.booted',
      'connector.status_changed',
      'connector.status_changed',
      'connector.status_changed',
      'charger.heartbeat',
    ]);
    expect(events.map((r) => (r.event.type === 'connector.status_changed' ? r.event.data.status : null)).filter(Boolean)).toEqual([
      'Available',
      'Preparing',
      'Charging',
    ]);
    for (const { key, event } of events) {
      expect(key).toBe('CP-0001');
      expect(event.tenantId).toBe(tenantId);
      expect(event.chargerId).toBe('CP-0001');
      expect(event.source).toEqual({ protocol: 'OCPP16', bridgeId: 'bridge-int-test' });
    }
    expect(new Set(events.map((r) => r.event.id)).size).toBe(6);
    const booted = events[1].event;
    expect(booted.type === 'charger.booted' && booted.data).toMatchObject({ vendor: 'EVCS', model: 'SimCharger', serialNumber: 'CP-0001' });
    expect(events[2].event.occurredAt).toBe(at.toISOString());
    expect(events[0].event.type === 'charger.connected' && events[0].event.data.remoteAddress).toBe('127.0.0.1');

    const ready = await fetch(`${baseHttp}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', connections: 1 });
  });

  it('refuses an unknown charger at the WebSocket upgrade', async () => {
    const cp = chargePoint('NOT-REGISTERED');
    const err = await cp.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnexpectedHttpResponse);
    expect((err as UnexpectedHttpResponse).code).toBe(404);
  });

  it('refuses a connection without the ocpp1.6 subprotocol, and paths outside /ocpp/', async () => {
    const statusOf = (target: string, protocols?: string[]) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(target, protocols);
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('open', () => {
          ws.close();
          reject(new Error('connection was accepted'));
        });
        ws.once('error', () => undefined);
      });
    await expect(statusOf(`${url}/CP-0003`)).resolves.toBe(400);
    await expect(statusOf(`${url.replace('/ocpp', '/other')}/CP-0003`, ['ocpp1.6'])).resolves.toBe(404);
    await expect(statusOf(`${url}/CP%ZZ`, ['ocpp1.6'])).resolves.toBe(400);
  });

  it('answers a malformed StatusNotification with a CALLERROR and publishes nothing for it', async () => {
    const cp = chargePoint('CP-0002', { strictMode: false });
    await cp.connect();
    const err = await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Bogus' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RPCError);
    expect((err as RPCError).rpcErrorCode).toBe('FormationViolation');

    // A valid message after it: once its event is here, the bogus one would have been too.
    await cp.status(1, 'Available');
    const events = await eventually(async () => (eventsOf('CP-0002').some((r) => r.event.type === 'connector.status_changed') ? eventsOf('CP-0002') : null), {
      timeoutMs: 20_000,
      what: 'CP-0002 status event',
    });
    expect(events.map((r) => r.event.type)).toEqual(['charger.connected', 'connector.status_changed']);
    expect(events[1].event.type === 'connector.status_changed' && events[1].event.data.status).toBe('Available');
  });

  it('answers InternalError when the publish fails, so the charger resends and nothing is lost', async () => {
    const cp = chargePoint('CP-0003');
    await cp.connect();
    await eventually(async () => eventsOf('CP-0003').length === 1, { what: 'CP-0003 connected' });
    failNextPublishOf = 'connector.status_changed';
    const err = await cp.status(2, 'Faulted', { errorCode: 'GroundFailure' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RPCError);
    expect((err as RPCError).rpcErrorCode).toBe('InternalError');
    await cp.status(2, 'Faulted', { errorCode: 'GroundFailure' });
    await cp.close();
    const events = await eventually(async () => (eventsOf('CP-0003').length >= 3 ? eventsOf('CP-0003') : null), { timeoutMs: 20_000, what: 'CP-0003 events' });
    expect(events.map((r) => r.event.type)).toEqual(['charger.connected', 'connector.status_changed', 'charger.disconnected']);
    expect(events[1].event.type === 'connector.status_changed' && events[1].event.data).toMatchObject({
      connectorId: 2,
      status: 'Faulted',
      errorCode: 'GroundFailure',
    });
  });

  it('replaces an older connection of the same charger, publishing its disconnect before the new connect', async () => {
    const before = eventsOf('CP-0001').length;
    const connectionsBefore = bridge.connectionCount;
    const first = chargePoints.find((cp) => cp.id === 'CP-0001')!;
    expect(first.isOpen).toBe(true);
    const second = chargePoint('CP-0001');
    await second.connect();
    await second.boot();
    const events = await eventually(async () => (eventsOf('CP-0001').length >= before + 3 ? eventsOf('CP-0001').slice(before) : null), {
      timeoutMs: 20_000,
      what: 'CP-0001 reconnect events',
    });
    expect(events.map((r) => r.event.type)).toEqual(['charger.disconnected', 'charger.connected', 'charger.booted']);
    expect(events[0].event.type === 'charger.disconnected' && events[0].event.data.reason).toBe('replaced by a newer connection');
    expect(bridge.connectionCount).toBe(connectionsBefore);
    await eventually(async () => !first.isOpen, { what: 'older connection closed' });
    expect(second.isOpen).toBe(true);
  });

  it('drains on close: connected chargers are told to go away and their disconnects are published', async () => {
    const before = eventsOf('CP-0003').length;
    const cp = chargePoint('CP-0003');
    await cp.connect();
    await eventually(async () => eventsOf('CP-0003').length === before + 1, { what: 'CP-0003 connected again' });
    const closedWith = new Promise<{ code?: number }>((resolve) => cp.rpc.once('close', resolve));
    await bridge.close();
    expect((await closedWith).code).toBe(1001);
    const events = await eventually(async () => (eventsOf('CP-0003').length >= before + 2 ? eventsOf('CP-0003').slice(before) : null), {
      what: 'disconnect after drain',
    });
    expect(events.map((r) => r.event.type)).toEqual(['charger.connected', 'charger.disconnected']);
    expect(bridge.connectionCount).toBe(0);
    expect(bridge.httpServer.listening).toBe(false);
  });
});
