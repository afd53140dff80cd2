import { randomUUID } from 'node:crypto';
import { ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { createLogger, EventBus, listen } from '@evcs/platform';
import { eventually } from '@evcs/testkit';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { chargePointId, runSimulators, SimulatorFleet, ykcPileNo } from '../src/simulator';
import { listenTcp, testDirectory, testRegistration, TEST_CHARGER_PASSWORD } from './support';

describe('simulator fleet: N OCPP chargers and M YKC piles through whole sessions', () => {
  const tenantId = randomUUID();
  const events: ChargerEvent[] = [];
  const bus: EventBus = {
    publish: async (_t, messages) => void events.push(...messages.map((m) => decodeChargerEvent(m.value as string))),
    subscribe: () => Promise.reject(new Error('not in this test')),
    ensureTopics: async () => undefined,
    close: async () => undefined,
  };
  let bridge: Bridge;
  let fleet: SimulatorFleet | undefined;

  afterAll(async () => {
    await fleet?.stop();
    await bridge?.close();
  });

  it('runs boot, status, start, meter values and stop on both protocols', async () => {
    const directory = testDirectory();
    for (let i = 1; i <= 3; i++) directory.set(chargePointId('SIMT-', i), testRegistration(chargePointId('SIMT-', i), { tenantId, chargerId: randomUUID() }));
    for (let i = 1; i <= 2; i++) directory.set(ykcPileNo('7701', i), testRegistration(ykcPileNo('7701', i), { tenantId, chargerId: randomUUID() }));
    bridge = createBridge({ bus, directory, logger: createLogger('sim-test', { level: 'silent' }), config: bridgeConfig({ bridgeId: 'sim', topic: 't' }) });
    const url = `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`;
    const ykcPort = await listenTcp(bridge.ykcServer);
    fleet = await runSimulators({ url, password: () => TEST_CHARGER_PASSWORD, count: 3, prefix: 'SIMT-', intervalMs: 40, meterValuesPerSession: 2, ykc: { host: '127.0.0.1', port: ykcPort, count: 2, pilePrefix: '7701' } });
    await eventually(async () => {
      const s = fleet!.stats();
      return s.sessionsStopped >= 5 && s.ykcRecordsConfirmed >= 2;
    }, { timeoutMs: 30_000, what: 'sessions on both protocols' });
    const s = fleet.stats();
    expect(s).toMatchObject({ chargers: 3, booted: 3, ykcPiles: 2, ykcLoggedIn: 2, errors: 0 });
    const types = new Set(events.map((e) => `${e.source.protocol}:${e.type}`));
    for (const t of ['charger.booted', 'connector.status_changed', 'session.started', 'session.meter_values', 'session.stopped']) expect(types).toContain(`OCPP16:${t}`);
    for (const t of ['charger.booted', 'session.started', 'session.meter_values', 'transaction.recorded', 'session.stopped']) expect(types).toContain(`YKC:${t}`);
  });
});
