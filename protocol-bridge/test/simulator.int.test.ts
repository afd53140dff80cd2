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
    fleet = await runSimulators({
      url,
      password: () => TEST_CHARGER_PASSWORD,
      count: 3,
      prefix: 'SIMT-',
      intervalMs: 40,
      meterValuesPerSession: 2,
      ykc: { host: '127.0.0.1', port: ykcPort, count: 2, pilePrefix: '7701' },
    });
    await eventually(
      async () => {
        const s = fleet!.stats();
        // Both protocols through a whole session (OCPP chargers start later: their password check takes a moment).
        const ocppStopped = events.some((e) => e.source.protocol === 'OCPP16' && e.type === 'session.stopped');
        return s.sessionsStopped >= 5 && s.ykcRecordsConfirmed >= 2 && ocppStopped;
      },
      { timeoutMs: 30_000, what: 'sessions on both protocols' },
    );
    const s = fleet.stats();
    expect(s).toMatchObject({ chargers: 3, booted: 3, ykcPiles: 2, ykcLoggedIn: 2, errors: 0 });
    const types = new Set(events.map((e) => `${e.source.protocol}:${e.type}`));
    for (const t of ['charger.booted', 'connector.status_changed', 'session.started', 'session.meter_values', 'session.stopped'])
      expect(types).toContain(`OCPP16:${t}`);
    for (const t of ['charger.booted', 'session.started', 'session.meter_values', 'transaction.recorded', 'session.stopped'])
      expect(types).toContain(`YKC:${t}`);
  });

  it('a charger refused for good (unknown, wrong password, another identity) stops instead of retrying', async () => {
    const directory = testDirectory({
      'SIMR-0002': { tenantId, chargerId: randomUUID() },
      [ykcPileNo('7702', 1)]: { tenantId, chargerId: randomUUID(), ykcIdentity: { sim: '1', pileType: 0, guns: 2, network: 0, carrier: 4 } },
    });
    const refusing = createBridge({
      bus,
      directory,
      logger: createLogger('sim-test', { level: 'silent' }),
      config: bridgeConfig({ bridgeId: 'sim-r', topic: 't' }),
    });
    const warnings: string[] = [];
    const log = createLogger('sim-refused', { level: 'silent' });
    const logger = Object.assign(Object.create(log) as typeof log, {
      error: (o: unknown, msg?: string) => void warnings.push(String(msg ?? o)),
      warn: (o: unknown, msg?: string) => void warnings.push(`warn: ${String(msg ?? o)}`),
    });
    try {
      const url = `ws://127.0.0.1:${await listen(refusing.httpServer, 0)}/ocpp`;
      const ykcPort = await listenTcp(refusing.ykcServer);
      // SIMR-0001 is not registered; SIMR-0002 gets a wrong password; the pile's login carries another ICCID.
      const refused = await runSimulators({
        url,
        password: () => 'not-the-registered-one',
        count: 2,
        prefix: 'SIMR-',
        intervalMs: 40,
        ykc: { host: '127.0.0.1', port: ykcPort, count: 1, pilePrefix: '7702' },
        logger,
      });
      try {
        await eventually(async () => refused.stats().refused === 3, { what: 'three chargers refused for good' });
        await new Promise((r) => setTimeout(r, 300)); // several retry intervals: none comes
        expect(refused.stats()).toMatchObject({ refused: 3, errors: 0, booted: 0, ykcLoggedIn: 0 });
        expect(warnings.filter((w) => !w.startsWith('warn:')).sort()).toEqual([
          expect.stringContaining(`YKC pile ${ykcPileNo('7702', 1)} refused at login`),
          expect.stringContaining('SIMR-0001 refused by the bridge (HTTP 404: not registered)'),
          expect.stringContaining('SIMR-0002 refused by the bridge (HTTP 401: wrong or missing password)'),
        ]);
        expect(await refusing.diagnostics.metrics.get('OCPP16', 'refused_unknown_charger')).toBe(1);
        expect(await refusing.diagnostics.metrics.get('OCPP16', 'refused_wrong_password')).toBe(1);
        expect(await refusing.diagnostics.metrics.get('YKC', 'refused_identity_mismatch')).toBe(1);
      } finally {
        await refused.stop();
      }
    } finally {
      await refusing.close();
    }
  });
});
