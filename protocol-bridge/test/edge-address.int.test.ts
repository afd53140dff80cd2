import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createLogger, EventBus, listen } from '@evcs/platform';
import { UnexpectedHttpResponse } from 'ocpp-rpc';
import { bridgeConfig } from '../src/config';
import { MemoryBridgeStore } from '../src/persistence/memory-store';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint } from '../src/simulator';
import { SimulatedYkcPile, simulatedPileIdentity } from '../src/simulator/ykc-pile';
import { encodeFrame } from '../src/ykc/frame';
import { decodeMessage, loginRequest } from '../src/ykc/messages';
import { listenTcp, testDirectory, TEST_CHARGER_PASSWORD } from './support';

/** Publishes into the void: these tests are about who the bridge takes a charger to be. */
const nullBus: EventBus = {
  publish: async () => undefined,
  subscribe: () => Promise.reject(new Error('not in this test')),
  ensureTopics: async () => undefined,
  close: async () => undefined,
};

const statusOf = (p: Promise<unknown>) =>
  p.then(
    () => 'connected',
    (e: unknown) => (e instanceof UnexpectedHttpResponse ? e.code : String(e)),
  );

/**
 * Behind the edge (BRIDGE_TRUSTED_PROXIES = 127.0.0.1 here, the edge's address): an OCPP charger
 * is the address the edge's X-Forwarded-For names, a YKC pile the source of the edge's PROXY
 * header; the charger's allowedSourceCidrs are checked against that, and that is what the registry
 * keeps. A peer that is not the edge (127.0.0.2) is taken at its socket, whatever it claims.
 */
describe('charger addresses behind the edge (trusted proxies)', () => {
  const tenantId = randomUUID();
  const EDGE = '127.0.0.1';
  const OTHER = '127.0.0.2';
  const PILE = '10000000000071';
  const logger = createLogger('edge-address-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  // reachable only from 198.51.100.0/24 (the chargers' network, beyond the edge)
  const directory = testDirectory({
    'EDGE-NET': { tenantId, chargerId: randomUUID(), allowedSourceCidrs: ['198.51.100.0/24'] },
    [PILE]: { tenantId, chargerId: randomUUID(), allowedSourceCidrs: ['198.51.100.0/24'] },
    '10000000000072': { tenantId, chargerId: randomUUID() },
  });
  let edged: Bridge;
  let direct: Bridge;
  let ocppUrl = '';
  let directUrl = '';
  let ykcPort = 0;
  let directYkcPort = 0;
  const cps: SimulatedChargePoint[] = [];
  const piles: SimulatedYkcPile[] = [];
  const cp = (url: string, localAddress: string, xff?: string) => {
    const c = new SimulatedChargePoint({
      url,
      id: 'EDGE-NET',
      password: TEST_CHARGER_PASSWORD,
      wsOpts: { localAddress, headers: xff ? { 'x-forwarded-for': xff } : {} },
    });
    cps.push(c);
    return c;
  };
  const pile = (port: number, localAddress: string, pileNo = PILE) => {
    const p = new SimulatedYkcPile({ host: '127.0.0.1', port, pileNo, localAddress, replyTimeoutMs: 1_000 });
    piles.push(p);
    return p;
  };

  beforeAll(async () => {
    const store = new MemoryBridgeStore();
    edged = createBridge({ bus: nullBus, directory, logger, store, config: bridgeConfig({ bridgeId: 'edged', topic: 'unused', trustedProxies: [EDGE] }) });
    direct = createBridge({ bus: nullBus, directory, logger, store: new MemoryBridgeStore(), config: bridgeConfig({ bridgeId: 'direct', topic: 'unused' }) });
    ocppUrl = `ws://127.0.0.1:${await listen(edged.httpServer, 0)}/ocpp`;
    directUrl = `ws://127.0.0.1:${await listen(direct.httpServer, 0)}/ocpp`;
    ykcPort = await listenTcp(edged.ykcServer);
    directYkcPort = await listenTcp(direct.ykcServer);
  });

  afterAll(async () => {
    await Promise.allSettled(cps.map((c) => c.close()));
    await Promise.allSettled(piles.map((p) => p.close()));
    await edged?.close();
    await direct?.close();
  });

  describe('OCPP: X-Forwarded-For', () => {
    it('from the edge: the charger is the forwarded address (the rightmost untrusted hop), which its networks admit and the registry keeps', async () => {
      // the charger itself wrote 203.0.113.5; the edge appended the address it saw
      const c = cp(ocppUrl, EDGE, '203.0.113.5, 198.51.100.7');
      expect(await statusOf(c.connect())).toBe('connected');
      expect(edged.registry.get(tenantId, 'EDGE-NET')?.remoteAddress).toBe('198.51.100.7');
      await c.close();
    });

    it('a forged X-Forwarded-For from a peer that is not the edge is not believed: the socket is outside the networks (403)', async () => {
      const before = await edged.diagnostics.metrics.get('OCPP16', 'refused_source_network');
      expect(await statusOf(cp(ocppUrl, OTHER, '198.51.100.7').connect())).toBe(403);
      // nor by a bridge that trusts no proxy, even from the edge's address
      expect(await statusOf(cp(directUrl, EDGE, '198.51.100.7').connect())).toBe(403);
      // (the two bridges of this process count into one metric)
      expect((await edged.diagnostics.metrics.get('OCPP16', 'refused_source_network')) - before).toBe(2);
    });

    it('from the edge, a forwarded address outside the networks is refused (the rule applies to the charger, not to the edge)', async () => {
      expect(await statusOf(cp(ocppUrl, EDGE, '192.0.2.1').connect())).toBe(403);
      expect(await statusOf(cp(ocppUrl, EDGE).connect())).toBe(403);
    });
  });

  describe('YKC: PROXY protocol', () => {
    const v1 = (src: string) => Buffer.from(`PROXY TCP4 ${src} 127.0.0.1 40001 8767\r\n`, 'latin1');
    const v2 = Buffer.from('0d0a0d0a000d0a515549540a2111000cc6336409c0a80001c822223f', 'hex'); // 198.51.100.9 → 192.168.0.1

    it('from the edge, a v1 header names the pile: its networks admit it and the registry keeps its address', async () => {
      const p = pile(ykcPort, EDGE);
      await p.connect();
      p.writeRaw(v1('198.51.100.8'));
      expect(await p.login()).toBe(true);
      expect(edged.registry.get(tenantId, PILE, 'YKC')?.remoteAddress).toBe('198.51.100.8');
      await p.close();
    });

    it('a v2 header does the same, even when the header and the first frame arrive in one packet', async () => {
      const p = pile(ykcPort, EDGE);
      await p.connect();
      // one write: the header and the login frame together
      const reply = p.next(0x02, 2_000);
      p.writeRaw(
        Buffer.concat([v2, encodeFrame(loginRequest.type, Buffer.from([0, 1]), loginRequest.encode({ pileNo: PILE, ...simulatedPileIdentity(PILE) }))]),
      );
      const r = await reply;
      expect((decodeMessage(r.type, r.body).message as { accepted: boolean }).accepted).toBe(true);
      expect(edged.registry.get(tenantId, PILE, 'YKC')?.remoteAddress).toBe('198.51.100.9');
      await p.close();
    });

    it('from the edge, a header naming an address outside the networks is refused at login', async () => {
      const p = pile(ykcPort, EDGE);
      await p.connect();
      p.writeRaw(v1('192.0.2.1'));
      expect(await p.login()).toBe(false);
    });

    it('from the edge, a connection without a header (or with a malformed one) is closed before any frame is read', async () => {
      for (const preamble of [undefined, Buffer.from('PROXY TCP4 nonsense\r\n', 'latin1')]) {
        const p = pile(ykcPort, EDGE, '10000000000072');
        await p.connect();
        const closed = once(p, 'close');
        if (preamble) p.writeRaw(preamble);
        await expect(p.login()).rejects.toThrow();
        await closed;
      }
      expect(await edged.diagnostics.metrics.get('YKC', 'proxy_header_invalid')).toBe(2);
    });

    it('from a peer that is not the edge, a PROXY header is refused: the connection is closed, no login is answered', async () => {
      for (const port of [ykcPort, directYkcPort]) {
        const p = pile(port, OTHER);
        await p.connect();
        const closed = once(p, 'close');
        p.writeRaw(v1('198.51.100.8'));
        await expect(p.login()).rejects.toThrow();
        await closed;
      }
      // (the two bridges of this process count into one metric)
      expect(await edged.diagnostics.metrics.get('YKC', 'proxy_header_untrusted')).toBe(2);
    });

    it('from a peer that is not the edge, a pile without a header is taken at its socket', async () => {
      const p = pile(ykcPort, OTHER, '10000000000072');
      await p.connect();
      expect(await p.login()).toBe(true);
      expect(edged.registry.get(tenantId, '10000000000072', 'YKC')?.remoteAddress).toBe(OTHER);
    });
  });
});
