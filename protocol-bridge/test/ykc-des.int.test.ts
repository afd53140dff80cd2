import { randomUUID } from 'node:crypto';
import type { ChargerCommand, CommandSpec } from '@evcs/events';
import { createLogger, KafkaEventBus, listen, Subscription } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { FACTORY_BILLING_MODEL, SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { createYkcCipher, desKeyring } from '../src/ykc/des';
import { encodeFrame, YkcFrame } from '../src/ykc/frame';
import { BillingModel, heartbeat } from '../src/ykc/messages';
import { BridgeDatabase, bridgeDatabase, collectEvents, listenTcp, Received, testDirectory } from './support';

describe('YKC piles with a 3DES key (ENC = 0x01) over real TCP, Kafka and Postgres', () => {
  const tenantId = randomUUID();
  const topic = uniqueName('ykc_des_events');
  const logger = createLogger('ykc-des-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  const KEY = Buffer.from('0123456789abcdeffedcba987654321089abcdef01234567', 'hex');
  const OTHER_KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const KEYED = '33010600000001';
  const KEYED_2 = '33010600000002';
  const PLAIN = '33010600000003';
  const MISSING_KEY = '33010600000004';
  const TIER = { electricity: 120_000, service: 40_000 };
  /** The platform's model for every pile here (conversion from tariffs is tested in ykc-billing-model). */
  const MODEL: Omit<BillingModel, 'pileNo'> = { ...FACTORY_BILLING_MODEL, modelNo: '0102', tiers: [TIER, TIER, TIER, TIER] };
  let bus: KafkaEventBus;
  let bridge: Bridge;
  let database: BridgeDatabase;
  let subscription: Subscription;
  let received: Received[];
  let ykcPort: number;
  const piles: SimulatedYkcPile[] = [];

  const pile = (pileNo: string, desKey?: Buffer) => {
    const p = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo, desKey, replyTimeoutMs: 1500 });
    piles.push(p);
    return p;
  };
  const count = (kind: string) => bridge.diagnostics.metrics.get('YKC', kind);
  /** Encryption flags of the frames the bridge sent a pile. */
  const flagsSeenBy = (p: SimulatedYkcPile) => {
    const flags: number[] = [];
    p.on('frame', (f: YkcFrame) => flags.push(f.encryption));
    return flags;
  };
  const execute = (pileNo: string, command: CommandSpec) => {
    const c: ChargerCommand = { id: randomUUID(), version: 1, tenantId, chargerId: pileNo, issuedAt: new Date().toISOString(), timeoutMs: 5000, command };
    return bridge.registry.get(tenantId, pileNo)!.execute(c);
  };

  beforeAll(async () => {
    const brokers = await ensureKafka();
    bus = new KafkaEventBus({ clientId: uniqueName('ykc-des'), brokers, logger });
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    database = await bridgeDatabase();
    const directory = testDirectory({
      [KEYED]: { tenantId, chargerId: randomUUID(), desKeyRef: 'site-1:pile-1' },
      [KEYED_2]: { tenantId, chargerId: randomUUID(), desKeyRef: 'site-1:pile-2' },
      [PLAIN]: { tenantId, chargerId: randomUUID() },
      [MISSING_KEY]: { tenantId, chargerId: randomUUID(), desKeyRef: 'not-in-the-keyring' },
    });
    bridge = createBridge({
      bus,
      directory,
      logger,
      store: database.store,
      billingModels: { modelFor: async (_tenant, pileNo) => ({ ...MODEL, pileNo }) },
      desKeys: desKeyring({ 'site-1:pile-1': KEY, 'site-1:pile-2': OTHER_KEY }),
      config: bridgeConfig({ bridgeId: 'ykc-des', heartbeatIntervalS: 60, topic }),
    });
    await listen(bridge.httpServer, 0);
    ykcPort = await listenTcp(bridge.ykcServer);
    ({ received, subscription } = await collectEvents(bus, topic));
  });

  afterAll(async () => {
    await Promise.allSettled(piles.map((p) => p.close()));
    await bridge?.close();
    await subscription?.stop();
    await bus?.close();
    await database?.close();
  });

  it('an encrypting pile logs in, beats, takes a billing model and a remote start, all over encrypted frames', async () => {
    const p = pile(KEYED, KEY);
    const flags = flagsSeenBy(p);
    await p.connect();
    expect(await p.login()).toBe(true);
    await eventually(async () => received.some((r) => r.event.chargerId === KEYED && r.event.type === 'charger.booted'), { what: 'charger.booted' });
    await p.heartbeat(1);
    expect(await p.syncBillingModel()).toBe('0102');
    expect(p.model.tiers[0]).toEqual({ electricity: 120_000, service: 40_000 });

    const started = await execute(KEYED, { type: 'session.start', connectorId: 1, idTag: '1234', balanceCents: 5_000 });
    expect(started.status).toBe('ACCEPTED');
    const serial = (started.response as { transactionId: string }).transactionId;
    await eventually(async () => received.some((r) => r.event.type === 'session.started' && r.event.data.transactionId === serial), {
      what: 'session.started',
    });
    expect(p.balances.get(serial)).toBe(5_000);

    // login reply, heartbeat reply, 0x06, 0x0A, 0x34: every one encrypted
    expect(flags.length).toBeGreaterThanOrEqual(5);
    expect(flags.every((f) => f === 0x01)).toBe(true);
    expect((await count('bad_body')) + (await count('encrypted_login_no_key'))).toBe(0);
  });

  it('refuses a plain frame from a pile that has a key (downgrade), and the pile keeps working encrypted', async () => {
    const p = piles[0];
    const before = await count('plain_frame_from_keyed_pile');
    const reply = p.next(0x04, 1000);
    p.writeRaw(encodeFrame(heartbeat.type, 7, heartbeat.encode({ pileNo: KEYED, gunNo: '01', faulted: false })));
    await expect(reply).rejects.toThrow(/no 0x4/);
    expect(await count('plain_frame_from_keyed_pile')).toBe(before + 1);
    await expect(p.heartbeat(1)).resolves.toBeDefined();
  });

  it('refuses a plain login of a pile registered with a key', async () => {
    const p = pile(KEYED_2);
    await p.connect();
    expect(await p.login()).toBe(false);
    expect(await count('refused_plain_login_keyed_pile')).toBe(1);
    expect(bridge.registry.get(tenantId, KEYED_2)).toBeUndefined();
  });

  it('cannot log in with a wrong key: no key opens the login, the connection is closed', async () => {
    const p = pile(KEYED_2, KEY); // KEY belongs to KEYED, not to KEYED_2
    await p.connect();
    const closed = new Promise((resolve) => p.once('close', resolve));
    await expect(p.login()).rejects.toThrow(/no 0x2/);
    await closed;
    expect(await count('encrypted_login_no_key')).toBe(1);
    expect(bridge.registry.get(tenantId, KEYED_2)).toBeUndefined();
  });

  it('refuses a pile whose registration names a key the keyring lacks', async () => {
    const p = pile(MISSING_KEY);
    await p.connect();
    expect(await p.login()).toBe(false);
    expect(await count('refused_des_key_unknown')).toBe(1);
  });

  it('leaves a pile without a key as it was: plain frames both ways; an encrypted body from it is refused', async () => {
    const p = pile(PLAIN);
    const flags = flagsSeenBy(p);
    await p.connect();
    expect(await p.login()).toBe(true);
    await p.heartbeat(1);
    expect(await p.syncBillingModel()).toBe('0102');
    expect(flags.every((f) => f === 0x00)).toBe(true);

    const reply = p.next(0x04, 1000);
    const sealed = createYkcCipher(KEY).encrypt(heartbeat.encode({ pileNo: PLAIN, gunNo: '01', faulted: false }));
    p.writeRaw(encodeFrame(heartbeat.type, 8, sealed, 0x01));
    await expect(reply).rejects.toThrow(/no 0x4/);
    expect(await count('encrypted_without_key')).toBe(1);
  });
});
