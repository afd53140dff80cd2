import { randomUUID } from 'node:crypto';
import { ChargerCommand, ChargerEventOf, CommandSpec, encodeChargerCommand } from '@evcs/events';
import { createLogger, KafkaEventBus, listen, Subscription } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint } from '../src/simulator';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import type { BillingModel } from '../src/ykc/messages';
import { BridgeDatabase, bridgeDatabase, collectEvents, listenTcp, Received, testDirectory, TEST_CHARGER_PASSWORD } from './support';

describe('platform commands across two bridge instances (real Kafka and Postgres)', () => {
  const tenantId = randomUUID();
  const topic = uniqueName('cmd_events');
  const commandTopic = uniqueName('cmd_commands');
  const logger = createLogger('commands-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  const PILE = '44010600000001';
  let bus: KafkaEventBus;
  let database: BridgeDatabase;
  let a: Bridge;
  let b: Bridge;
  let subscription: Subscription;
  let received: Received[];
  let cp: SimulatedChargePoint;
  let pile: SimulatedYkcPile;

  const directory = testDirectory({
    'CMD-OCPP': { tenantId, chargerId: randomUUID() },
    'CMD-OFFLINE': { tenantId, chargerId: randomUUID() },
    [PILE]: { tenantId, chargerId: randomUUID() },
  });

  const results = () => received.map((r) => r.event).filter((e): e is ChargerEventOf<'command.result'> => e.type === 'command.result');

  async function send(chargerId: string, command: CommandSpec, timeoutMs = 5000): Promise<ChargerEventOf<'command.result'>> {
    const c: ChargerCommand = { id: randomUUID(), version: 1, tenantId, chargerId, issuedAt: new Date().toISOString(), timeoutMs, command };
    await bus.publish(commandTopic, [encodeChargerCommand(c)]);
    return eventually(async () => results().find((r) => r.data.commandId === c.id), { timeoutMs: 30_000, what: `result of ${command.type} for ${chargerId}` });
  }

  beforeAll(async () => {
    const brokers = await ensureKafka();
    bus = new KafkaEventBus({ clientId: uniqueName('cmd-test'), brokers, logger });
    await bus.ensureTopics([
      { topic, partitions: 3 },
      { topic: commandTopic, partitions: 4 },
    ]);
    database = await bridgeDatabase();
    const make = (bridgeId: string) =>
      createBridge({ bus, directory, logger, store: database.store, config: bridgeConfig({ bridgeId, heartbeatIntervalS: 60, topic, commandTopic }) });
    a = make(uniqueName('bridge-a'));
    b = make(uniqueName('bridge-b'));
    const [portB, ykcPortA] = [await listen(b.httpServer, 0), await listenTcp(a.ykcServer)];
    await listen(a.httpServer, 0);
    await Promise.all([a.startCommands(), b.startCommands()]);
    ({ received, subscription } = await collectEvents(bus, topic));

    cp = new SimulatedChargePoint({ url: `ws://127.0.0.1:${portB}/ocpp`, id: 'CMD-OCPP', password: TEST_CHARGER_PASSWORD });
    await cp.connect();
    await cp.boot();
    pile = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPortA, pileNo: PILE });
    await pile.connect();
    expect(await pile.login()).toBe(true);
    // Both connections are in the registry, so either instance can route to them.
    await eventually(async () => Boolean(await database.store.connectionHolder(tenantId, 'CMD-OCPP')));
    await eventually(async () => Boolean(await database.store.connectionHolder(tenantId, PILE)));
  });

  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await pile?.close();
    await a?.close();
    await b?.close();
    await subscription?.stop();
    await bus?.close();
    await database?.close();
  });

  it('delivers OCPP commands to the charger on whichever instance holds it, one result each', async () => {
    const outcomes = await Promise.all([
      send('CMD-OCPP', { type: 'session.start', connectorId: 1, idTag: 'APP-1' }),
      send('CMD-OCPP', { type: 'charger.reset', kind: 'Soft' }),
      send('CMD-OCPP', { type: 'connector.unlock', connectorId: 1 }),
      send('CMD-OCPP', { type: 'connector.change_availability', connectorId: 0, availability: 'Inoperative' }),
      send('CMD-OCPP', { type: 'config.change', key: 'HeartbeatInterval', value: '120' }),
      send('CMD-OCPP', { type: 'config.get', keys: ['HeartbeatInterval'] }),
      send('CMD-OCPP', { type: 'message.trigger', message: 'StatusNotification', connectorId: 1 }),
      send('CMD-OCPP', { type: 'cache.clear' }),
      send('CMD-OCPP', { type: 'session.stop', transactionId: '1000' }),
    ]);
    expect(outcomes.map((o) => o.data.status)).toEqual(Array(9).fill('ACCEPTED'));
    expect(outcomes.every((o) => o.source.protocol === 'OCPP16')).toBe(true);
    expect(outcomes[5].data.response).toEqual({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] });
    expect(cp.commandsReceived.map((c) => c.action).sort()).toEqual(
      [
        'ChangeAvailability',
        'ChangeConfiguration',
        'ClearCache',
        'GetConfiguration',
        'RemoteStartTransaction',
        'RemoteStopTransaction',
        'Reset',
        'TriggerMessage',
        'UnlockConnector',
      ].sort(),
    );
    expect(cp.commandsReceived.find((c) => c.action === 'RemoteStartTransaction')!.params).toEqual({ connectorId: 1, idTag: 'APP-1' });
    // exactly one result per command, even though two instances consumed the topic
    await new Promise((r) => setTimeout(r, 500));
    const ids = results().map((r) => r.data.commandId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('forwards a command routed by the instance that does not hold the charger to the holder’s inbox', async () => {
    // Route explicitly on each non-holder: A for the OCPP charger (held by B), B for the pile (held by A).
    const viaA: ChargerCommand = {
      id: randomUUID(),
      version: 1,
      tenantId,
      chargerId: 'CMD-OCPP',
      issuedAt: new Date().toISOString(),
      timeoutMs: 5000,
      command: { type: 'cache.clear' },
    };
    const viaB: ChargerCommand = {
      id: randomUUID(),
      version: 1,
      tenantId,
      chargerId: PILE,
      issuedAt: new Date().toISOString(),
      timeoutMs: 5000,
      command: { type: 'time.sync' },
    };
    expect(a.registry.get(tenantId, 'CMD-OCPP')).toBeUndefined();
    expect(b.registry.get(tenantId, PILE)).toBeUndefined();
    await a.commands.dispatch(viaA);
    await b.commands.dispatch(viaB);
    const [ra, rb] = await Promise.all(
      [viaA, viaB].map((c) =>
        eventually(async () => results().find((r) => r.data.commandId === c.id), { timeoutMs: 30_000, what: `forwarded ${c.command.type}` }),
      ),
    );
    expect(ra.data.status).toBe('ACCEPTED');
    expect(ra.source.bridgeId).toBe(b.commands.inbox.replace(/^.*\.inbox\./, ''));
    expect(rb.data.status).toBe('ACCEPTED');
    expect(rb.source.protocol).toBe('YKC');
  });

  it('reports what the charger said: Rejected, a timeout, and a command the protocol lacks', async () => {
    const slow = new Promise<Record<string, unknown>>((r) => setTimeout(() => r({ status: 'Accepted' }), 1500));
    cp.respond = (action) => (action === 'Reset' ? { status: 'Rejected' } : slow);
    const rejected = await send('CMD-OCPP', { type: 'charger.reset', kind: 'Hard' });
    expect(rejected.data).toMatchObject({ status: 'REJECTED', reason: 'Rejected' });
    const timedOut = await send('CMD-OCPP', { type: 'cache.clear' }, 500);
    expect(timedOut.data).toMatchObject({ status: 'FAILED', reason: 'TIMEOUT' });
    const unsupported = await send('CMD-OCPP', { type: 'time.sync' });
    expect(unsupported.data.status).toBe('FAILED');
    expect(unsupported.data.reason).toMatch(/^NOT_SUPPORTED/);
  });

  it('runs a YKC remote session through commands: start → session.started, stop → record', async () => {
    const started = await send(PILE, { type: 'session.start', connectorId: 1, idTag: '1234', balanceCents: 10_000 });
    expect(started.data.status).toBe('ACCEPTED');
    expect(started.source.protocol).toBe('YKC');
    const serial = (started.data.response as { transactionId: string }).transactionId;
    expect(serial).toMatch(new RegExp(`^${PILE}01\\d{16}$`));
    pile.charge(1, 8000);
    const rt = await send(PILE, { type: 'real_time_data.read', connectorId: 1 });
    expect(rt.data.status).toBe('ACCEPTED');
    expect(rt.data.response).toMatchObject({ serial, status: 3, energyX1e4: 8000 });
    const stopped = await send(PILE, { type: 'session.stop', connectorId: 1 });
    expect(stopped.data.status).toBe('ACCEPTED');
    const record = await eventually(async () => received.find((r) => r.event.type === 'transaction.recorded' && r.event.data.transactionId === serial));
    expect(record.event.type === 'transaction.recorded' && record.event.data.energyKwh).toBe('0.8000');
    expect(received.some((r) => r.event.type === 'session.started' && r.event.data.transactionId === serial && r.event.data.trigger === 'REMOTE')).toBe(true);

    // nothing to spend: not sent to the pile at all
    const startsSent = pile.received.filter((f) => f.type === 0x34).length;
    const broke = await send(PILE, { type: 'session.start', connectorId: 2, idTag: '1234' });
    expect(broke.data).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/^INVALID: a YKC start needs balanceCents/) });
    expect(pile.received.filter((f) => f.type === 0x34)).toHaveLength(startsSent);
    pile.refuseStartWith = 5;
    const refused = await send(PILE, { type: 'session.start', connectorId: 2, idTag: '1234', balanceCents: 100 });
    expect(refused.data).toMatchObject({ status: 'REJECTED', reason: 'GUN_NOT_PLUGGED_IN' });
    expect((await send(PILE, { type: 'time.sync' })).data.status).toBe('ACCEPTED');
    // The command carries tariffs' model (rates ×10^5); the bridge encodes it as it is.
    const slots = Array.from({ length: 48 }, (_, k) => (k < 16 ? 1 : 0));
    const tiers = [
      { energyRate: 80_000, serviceRate: 40_000 },
      { energyRate: 50_000, serviceRate: 20_000 },
      { energyRate: 0, serviceRate: 0 },
      { energyRate: 0, serviceRate: 0 },
    ];
    const model = await send(PILE, { type: 'billing_model.set', modelNo: '0003', lossRatio: 0, tiers, slots });
    expect(model.data).toMatchObject({ status: 'ACCEPTED', response: { modelNo: '0003' } });
    const pushed = pile.received.find((f) => f.type === 0x58)!.message as BillingModel;
    expect(pushed).toMatchObject({ pileNo: PILE, modelNo: '0003', slots, lossRatio: 0 });
    expect(pushed.tiers).toEqual(tiers.map((t) => ({ electricity: t.energyRate, service: t.serviceRate })));
    expect((await send(PILE, { type: 'charger.reset', kind: 'Soft' })).data.status).toBe('ACCEPTED');
  });

  it('fails a command for a charger no bridge holds with CHARGER_OFFLINE, once', async () => {
    const r = await send('CMD-OFFLINE', { type: 'charger.reset', kind: 'Soft' });
    expect(r.data).toMatchObject({ status: 'FAILED', reason: 'CHARGER_OFFLINE' });
    expect(r.source.protocol).toBe('BRIDGE');
    await new Promise((res) => setTimeout(res, 500));
    expect(results().filter((x) => x.data.commandId === r.data.commandId)).toHaveLength(1);
  });

  it('fails a command once its charger disconnected', async () => {
    await cp.close();
    await eventually(async () => !(await database.store.connectionHolder(tenantId, 'CMD-OCPP')));
    const r = await send('CMD-OCPP', { type: 'cache.clear' });
    expect(r.data).toMatchObject({ status: 'FAILED', reason: 'CHARGER_OFFLINE' });
  });
});
