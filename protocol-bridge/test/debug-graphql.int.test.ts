import { randomUUID } from 'node:crypto';
import { decodeChargerEvent } from '@evcs/events';
import { BusMessage, createLogger, EventBus, listen } from '@evcs/platform';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { encodeFrame } from '../src/ykc/frame';
import { listenTcp, testDirectory } from './support';

describe('operator debugging GraphQL on the bridge (/debug/graphql)', () => {
  const tenantId = randomUUID();
  const token = 'operator-debug-token-0123456789';
  const published: BusMessage[] = [];
  const bus: EventBus = {
    publish: async (_t, messages) => void published.push(...messages),
    subscribe: () => Promise.reject(new Error('not in this test')),
    ensureTopics: async () => undefined,
    close: async () => undefined,
  };
  const PILE = '61010600000003';
  let bridge: Bridge;
  let base: string;
  let pile: SimulatedYkcPile;

  const gql = async (query: string, variables: Record<string, unknown> = {}, auth = `Bearer ${token}`) => {
    const res = await fetch(`${base}/debug/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: unknown[] } };
  };

  beforeAll(async () => {
    bridge = createBridge({
      bus,
      directory: testDirectory({ [PILE]: { tenantId, chargerId: randomUUID() } }),
      logger: createLogger('debug-test', { level: 'silent' }),
      config: bridgeConfig({ bridgeId: 'debug', topic: 't' }),
      debugToken: token,
    });
    base = `http://127.0.0.1:${await listen(bridge.httpServer, 0)}`;
    pile = new SimulatedYkcPile({ host: '127.0.0.1', port: await listenTcp(bridge.ykcServer), pileNo: PILE });
    await pile.connect();
    await pile.login();
    await pile.heartbeat(1);
    const bad = encodeFrame(0x03, 1, Buffer.alloc(9));
    bad[bad.length - 1] ^= 1;
    pile.writeRaw(bad);
    await pile.heartbeat(2);
  });

  afterAll(async () => {
    await pile?.close();
    await bridge?.close();
  });

  it('refuses requests without the operator token', async () => {
    expect((await gql('{ protocolErrors { kind } }', {}, 'Bearer nope')).status).toBe(401);
  });

  it('shows the last raw frames of a charger, hex and decoded', async () => {
    const { body } = await gql('query($id: String!) { frames(chargerId: $id, last: 10) { direction protocol hex decoded } }', { id: PILE });
    const frames = body.data.frames as { direction: string; hex: string; decoded: string }[];
    expect(frames[0]).toMatchObject({ direction: 'IN', protocol: 'YKC' });
    expect(JSON.parse(frames[0].decoded)).toMatchObject({ type: 1, name: 'login' });
    expect(frames.some((f) => f.direction === 'OUT' && JSON.parse(f.decoded).name === 'heartbeat reply')).toBe(true);
    expect(frames.some((f) => JSON.parse(f.decoded).error === 'bad_crc')).toBe(true);
    expect(frames.every((f) => /^[0-9a-f]+$/.test(f.hex))).toBe(true);
  });

  it('counts protocol errors by kind and lists connected chargers', async () => {
    const { body } = await gql('{ protocolErrors { protocol kind count } connectedChargers { chargerId protocol tenantId } }');
    expect(body.data.protocolErrors).toContainEqual({ protocol: 'YKC', kind: 'bad_crc', count: 1 });
    expect(body.data.connectedChargers).toEqual([{ chargerId: PILE, protocol: 'YKC', tenantId }]);
  });

  it('injects a simulated event, and refuses an invalid one with userErrors', async () => {
    const mutation =
      'mutation($t: String!, $c: String!, $type: String!, $data: String!) { injectEvent(tenantId: $t, chargerId: $c, type: $type, data: $data) { eventId userErrors { code field message } } }';
    const ok = await gql(mutation, {
      t: tenantId,
      c: PILE,
      type: 'connector.status_changed',
      data: JSON.stringify({ connectorId: 1, status: 'Faulted', errorCode: 'GroundFailure' }),
    });
    expect(ok.body.data.injectEvent.userErrors).toEqual([]);
    const event = decodeChargerEvent(published.at(-1)!.value as string);
    expect(event).toMatchObject({
      id: ok.body.data.injectEvent.eventId,
      type: 'connector.status_changed',
      source: { protocol: 'SIMULATED' },
      data: { status: 'Faulted' },
    });
    const bad = await gql(mutation, { t: tenantId, c: PILE, type: 'connector.status_changed', data: JSON.stringify({ connectorId: 1, status: 'Exploded' }) });
    expect(bad.body.data.injectEvent.eventId).toBeNull();
    expect(bad.body.data.injectEvent.userErrors[0]).toMatchObject({ code: 'INVALID_EVENT', field: 'data.status' });
  });
});
