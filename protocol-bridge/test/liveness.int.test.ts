import { randomUUID } from 'node:crypto';
import { ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { createLogger, EventBus, listen } from '@evcs/platform';
import { eventually } from '@evcs/testkit';
import { bridgeConfig } from '../src/config';
import { MemoryBridgeStore } from '../src/persistence/memory-store';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint } from '../src/simulator';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { listenTcp, testDirectory, TEST_CHARGER_PASSWORD } from './support';

describe('liveness: a charger that goes silent is disconnected and reported offline', () => {
  const tenantId = randomUUID();
  const events: ChargerEvent[] = [];
  const bus: EventBus = {
    publish: async (_t, messages) => void events.push(...messages.map((m) => decodeChargerEvent(m.value as string))),
    subscribe: () => Promise.reject(new Error('not in this test')),
    ensureTopics: async () => undefined,
    close: async () => undefined,
  };
  const store = new MemoryBridgeStore();
  const PILE = '81010600000001';
  let bridge: Bridge;
  let cp: SimulatedChargePoint;
  let pile: SimulatedYkcPile;

  beforeAll(async () => {
    bridge = createBridge({
      bus,
      store,
      directory: testDirectory({ 'LIVE-1': { tenantId, chargerId: randomUUID() }, [PILE]: { tenantId, chargerId: randomUUID() } }),
      logger: createLogger('liveness-test', { level: 'silent' }),
      // pings off, so only the charger's own messages count as signs of life
      config: bridgeConfig({ bridgeId: 'live', topic: 't', silenceTimeoutMs: 600, sweepIntervalMs: 100, pingIntervalMs: 0 }),
    });
    cp = new SimulatedChargePoint({ url: `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`, id: 'LIVE-1', password: TEST_CHARGER_PASSWORD });
    pile = new SimulatedYkcPile({ host: '127.0.0.1', port: await listenTcp(bridge.ykcServer), pileNo: PILE });
  });

  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await pile?.close();
    await bridge?.close();
  });

  it('keeps a charger that talks, drops one that does not, on both protocols', async () => {
    await cp.connect();
    await pile.connect();
    expect(await pile.login()).toBe(true);
    expect(await store.connectionHolder(tenantId, PILE)).not.toBeNull();
    // The pile keeps beating for a while; the OCPP charger says nothing after connecting.
    for (let i = 0; i < 8; i++) {
      await pile.heartbeat(1);
      await new Promise((r) => setTimeout(r, 150));
    }
    const ocppGone = events.find((e) => e.chargerId === 'LIVE-1' && e.type === 'charger.disconnected');
    expect(ocppGone?.type === 'charger.disconnected' && ocppGone.data.reason).toMatch(/^silent/);
    expect(events.some((e) => e.chargerId === PILE && e.type === 'charger.disconnected')).toBe(false);
    // Now the pile goes quiet too (TCP still open, as after a power cut behind a NAT).
    const pileGone = await eventually(async () => events.find((e) => e.chargerId === PILE && e.type === 'charger.disconnected'), { timeoutMs: 5000 });
    expect(pileGone.type === 'charger.disconnected' && pileGone.data.reason).toMatch(/^silent/);
    await eventually(async () => (await store.connectionHolder(tenantId, PILE)) === null, { what: 'registry row released' });
  });
});
