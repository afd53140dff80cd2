import { randomUUID } from 'node:crypto';
import { createLogger, EventBus, listen } from '@evcs/platform';
import WebSocket from 'ws';
import { bridgeConfig } from '../../src/config';
import { Bridge, createBridge } from '../../src/server';
import { testDirectory, TEST_CHARGER_PASSWORD } from '../support';

describe('WebSocket pings: every connection is still pinged once its keep-alive runs on its own period', () => {
  const tenantId = randomUUID();
  const bus: EventBus = {
    publish: async () => undefined,
    subscribe: () => Promise.reject(new Error('not in this test')),
    ensureTopics: async () => undefined,
    close: async () => undefined,
  };
  const ids = ['PING-1', 'PING-2', 'PING-3'];
  let bridge: Bridge;
  const sockets: WebSocket[] = [];

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await bridge?.close();
  });

  it('pings each charger about every configured period (±10 %), after its keep-alive was restarted with its own period', async () => {
    bridge = createBridge({
      bus,
      directory: testDirectory(Object.fromEntries(ids.map((id) => [id, { tenantId, chargerId: randomUUID() }]))),
      logger: createLogger('pings-test', { level: 'silent' }),
      config: bridgeConfig({ bridgeId: 'pings', topic: 't', pingIntervalMs: 200 }),
    });
    const url = `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`;
    const pings = new Map<string, number[]>(ids.map((id) => [id, []]));
    const auth = (id: string) => `Basic ${Buffer.from(`${id}:${TEST_CHARGER_PASSWORD}`).toString('base64')}`;
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
});
