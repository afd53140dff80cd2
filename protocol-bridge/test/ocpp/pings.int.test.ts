import { randomUUID } from 'node:crypto';
import { ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { createLogger, EventBus, listen } from '@evcs/platform';
import { eventually } from '@evcs/testkit';
import WebSocket from 'ws';
import { bridgeConfig } from '../../src/config';
import { Bridge, createBridge } from '../../src/server';
import { testDirectory, TEST_CHARGER_PASSWORD } from '../support';

describe("WebSocket pings: the bridge's own keep-alive, each connection on its own period", () => {
  const tenantId = randomUUID();
  const events: ChargerEvent[] = [];
  const bus: EventBus = {
    publish: async (_t, messages) => void events.push(...messages.map((m) => decodeChargerEvent(m.value as string))),
    subscribe: () => Promise.reject(new Error('not in this test')),
    ensureTopics: async () => undefined,
    close: async () => undefined,
  };
  const ids = ['PING-1', 'PING-2', 'PING-3'];
  const SILENT = 'PING-NO-PONG';
  let bridge: Bridge;
  const sockets: WebSocket[] = [];

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await bridge?.close();
  });

  let url: string;
  const auth = (id: string) => `Basic ${Buffer.from(`${id}:${TEST_CHARGER_PASSWORD}`).toString('base64')}`;

  it('pings each charger about every configured period (±10 %)', async () => {
    bridge = createBridge({
      bus,
      directory: testDirectory(Object.fromEntries([...ids, SILENT].map((id) => [id, { tenantId, chargerId: randomUUID() }]))),
      logger: createLogger('pings-test', { level: 'silent' }),
      config: bridgeConfig({ bridgeId: 'pings', topic: 't', pingIntervalMs: 200 }),
    });
    url = `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`;
    const pings = new Map<string, number[]>(ids.map((id) => [id, []]));
    await Promise.all(
      ids.map(
        (id) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(`${url}/${id}`, 'ocpp1.6', { headers: { authorization: auth(id) } });
            sockets.push(ws);
            ws.on('ping', () => pings.get(id)?.push(Date.now()));
            ws.once('open', () => resolve());
            ws.once('error', reject);
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    for (const id of ids) {
      const at = pings.get(id) ?? [];
      // ~7 pings in 1.5 s at 180–220 ms; fewer than 4 would mean the keep-alive stopped
      expect(at.length).toBeGreaterThanOrEqual(4);
      const gaps = at.slice(1).map((t, i) => t - at[i]);
      const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
      expect(median).toBeGreaterThanOrEqual(170);
      expect(median).toBeLessThanOrEqual(260);
    }
  });

  it('cuts off a charger that does not answer a ping by the next one, and reports it disconnected', async () => {
    const ws = new WebSocket(`${url}/${SILENT}`, 'ocpp1.6', { headers: { authorization: auth(SILENT) }, autoPong: false });
    sockets.push(ws);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    // the answering chargers stay; this one is cut off after two periods (~400 ms)
    expect(await closed).toBe(1006);
    const gone = await eventually(async () => events.find((e) => e.type === 'charger.disconnected' && e.chargerId === SILENT), { timeoutMs: 5000 });
    expect(gone?.type === 'charger.disconnected' && gone.data.reason).toBe('no answer to a WebSocket ping');
    expect(sockets.filter((s) => s !== ws).every((s) => s.readyState === WebSocket.OPEN)).toBe(true);
  });
});
