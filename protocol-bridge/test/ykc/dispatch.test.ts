import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { ChargerEvent } from '@evcs/events';
import { createLogger } from '@evcs/platform';
import { bridgeConfig } from '../../src/config';
import { InMemorySecurityRecorder } from '../../src/connections/charger-security';
import { FrameLog, ProtocolMetrics } from '../../src/connections/diagnostics';
import { ConnectionRegistry } from '../../src/connections/registry';
import { InMemoryChargerDirectory, registrationOf } from '../../src/directory';
import { ACCEPT_EVERY_TAG } from '../../src/id-tags';
import { MemoryBridgeStore } from '../../src/persistence/memory-store';
import { simulatedPileIdentity } from '../../src/simulator/ykc-pile';
import { YkcConnection } from '../../src/ykc/connection';
import { EMPTY_KEYRING } from '../../src/ykc/des';
import { encodeFrame, FrameReader, YkcFrame } from '../../src/ykc/frame';
import { dispatchYkcFrame, ykcHandlers, YkcServices } from '../../src/ykc/handlers';
import { heartbeat, heartbeatReply, loginReply, loginRequest, YKC_MESSAGES } from '../../src/ykc/messages';
import { PILE } from './golden';

/** A socket that keeps what the bridge writes: the connection and its dispatch without I/O. */
class FakeSocket extends EventEmitter {
  readonly remoteAddress = '10.0.0.9';
  destroyed = false;
  readonly written: Buffer[] = [];
  setNoDelay(): this {
    return this;
  }
  write(b: Buffer): boolean {
    this.written.push(b);
    return true;
  }
  end(): this {
    return this.destroy();
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      setImmediate(() => this.emit('close'));
    }
    return this;
  }
  /** The frames written so far, parsed. */
  frames(): YkcFrame[] {
    return [...new FrameReader().push(Buffer.concat(this.written))].flatMap((r) => ('frame' in r ? [r.frame] : []));
  }
}

describe('YKC dispatch table', () => {
  const tenantId = '7a1c2a4e-0b7d-4c1e-9a55-3f2d8c9b1e71';
  let metrics: ProtocolMetrics;
  let registry: ConnectionRegistry | undefined;
  let published: ChargerEvent[];

  const services = (): YkcServices => {
    const store = new MemoryBridgeStore();
    const logger = createLogger('ykc-dispatch-test', { level: 'silent' });
    const connections = new ConnectionRegistry({ store, bridgeId: 'b1', logger, silenceTimeoutMs: 60_000, sweepIntervalMs: 3_600_000 });
    registry = connections;
    const directory = new InMemoryChargerDirectory({
      [PILE]: registrationOf({ tenantId, chargerId: 'asset-1', protocol: 'YKC', securityProfile: null, ykcIdentity: simulatedPileIdentity(PILE) }),
    });
    return {
      directory,
      publisher: { publish: async (e) => void published.push(e), close: async () => undefined },
      store,
      security: new InMemorySecurityRecorder(directory),
      registry: connections,
      billingModels: { modelFor: async () => null },
      desKeys: EMPTY_KEYRING,
      idTags: ACCEPT_EVERY_TAG,
      metrics,
      frames: new FrameLog(),
      config: bridgeConfig({ bridgeId: 'b1' }),
      logger,
      now: () => new Date(),
      stamp: () => ({ id: `e${published.length}`, receivedAt: new Date() }),
      accepting: () => true,
    };
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  const send = (socket: FakeSocket, type: number, body: Buffer) => socket.emit('data', encodeFrame(type, 7, body));
  const login = async (socket: FakeSocket) => {
    send(socket, 0x01, loginRequest.encode({ pileNo: PILE, ...simulatedPileIdentity(PILE) }));
    await settle();
  };

  beforeEach(() => {
    metrics = new ProtocolMetrics();
    published = [];
  });
  afterEach(() => {
    registry?.stop();
    registry = undefined;
  });

  it('has one handler per pile-to-platform message type, and only for those', () => {
    for (const type of ykcHandlers.keys()) expect(YKC_MESSAGES.get(type)?.direction).toBe('up');
    const up = [...YKC_MESSAGES.values()].filter((m) => m.direction === 'up').map((m) => m.type);
    // The login (0x01) is dispatched before the table: nothing else is served before it.
    expect([...ykcHandlers.keys(), 0x01].sort((a, b) => a - b)).toEqual(up.sort((a, b) => a - b));
  });

  it('routes a logged-in pile’s message to its handler (a heartbeat is answered, echoing its sequence bytes)', async () => {
    const socket = new FakeSocket();
    const conn = new YkcConnection(socket as unknown as net.Socket, services(), dispatchYkcFrame);
    await login(socket);
    expect(socket.frames().map((f) => [f.type, loginReply.decode(f.body).accepted])).toEqual([[0x02, true]]);
    expect(registry?.get(tenantId, PILE, 'YKC')).toBe(conn.live);
    send(socket, 0x03, heartbeat.encode({ pileNo: PILE, gunNo: '01', faulted: false }));
    await settle();
    const reply = socket.frames().at(-1)!;
    expect(reply.type).toBe(0x04);
    expect(reply.seq).toEqual(Buffer.from([7, 0]));
    expect(heartbeatReply.decode(reply.body)).toEqual({ pileNo: PILE, gunNo: '01' });
    expect(published.map((e) => e.type)).toEqual(['charger.connected', 'charger.booted', 'charger.heartbeat']);
  });

  it('a type the codec does not know is counted unknown_type and ignored; the connection lives on', async () => {
    const socket = new FakeSocket();
    new YkcConnection(socket as unknown as net.Socket, services(), dispatchYkcFrame);
    await login(socket);
    const before = socket.written.length;
    send(socket, 0xee, Buffer.from('5503141278230501', 'hex'));
    await settle();
    expect(await metrics.get('YKC', 'unknown_type')).toBe(1);
    expect(socket.written.length).toBe(before);
    expect(socket.destroyed).toBe(false);
  });

  it('a known platform-to-pile type from a pile is counted unexpected_direction and ignored', async () => {
    const socket = new FakeSocket();
    new YkcConnection(socket as unknown as net.Socket, services(), dispatchYkcFrame);
    await login(socket);
    const before = socket.written.length;
    send(socket, 0x04, heartbeatReply.encode({ pileNo: PILE, gunNo: '01' }));
    await settle();
    expect(await metrics.get('YKC', 'unexpected_direction')).toBe(1);
    expect(socket.written.length).toBe(before);
  });

  it('serves nothing before the login, and nothing that names another pile', async () => {
    const socket = new FakeSocket();
    new YkcConnection(socket as unknown as net.Socket, services(), dispatchYkcFrame);
    send(socket, 0x03, heartbeat.encode({ pileNo: PILE, gunNo: '01', faulted: false }));
    await settle();
    expect(await metrics.get('YKC', 'before_login')).toBe(1);
    await login(socket);
    send(socket, 0x03, heartbeat.encode({ pileNo: '55031412782399', gunNo: '01', faulted: false }));
    await settle();
    expect(await metrics.get('YKC', 'pile_number_mismatch')).toBe(1);
    expect(socket.frames().map((f) => f.type)).toEqual([0x02]);
  });
});
