import { randomUUID } from 'node:crypto';
import { AssetEvent, AssetEvents, encodeWith } from '@evcs/events';
import { createLogger, hashChargerPassword, KafkaEventBus, listen, verifyChargerPassword } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { UnexpectedHttpResponse } from 'ocpp-rpc';
import { bridgeConfig } from '../src/config';
import { VerifiedCredentials } from '../src/ocpp/verified-credentials';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint } from '../src/simulator';
import { testDirectory, TEST_CHARGER_PASSWORD } from './support';

const statusOf = (p: Promise<unknown>) =>
  p.then(
    () => 'connected',
    (e: unknown) => (e instanceof UnexpectedHttpResponse ? e.code : String(e)),
  );

/**
 * The verified-password cache at the WebSocket upgrade of a real bridge, asset events through real
 * Kafka: reconnects skip scrypt (counted), anything that changes the answer does not.
 */
describe('OCPP password checks: a reconnect storm costs no scrypt per connection', () => {
  const logger = createLogger('auth-cache-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  const tenantId = randomUUID();
  const chargerId = randomUUID();
  const code = `AC-${chargerId.slice(0, 8)}`;
  const directory = testDirectory({ [code]: { tenantId, chargerId } });
  const scrypts: string[] = [];
  const credentials = new VerifiedCredentials({
    verify: (password, hash) => {
      scrypts.push(password.toString());
      return verifyChargerPassword(password, hash);
    },
  });
  const assetTopic = uniqueName('t_auth_cache_assets');
  let bus: KafkaEventBus;
  let bridge: Bridge;
  let url: string;
  const cps: SimulatedChargePoint[] = [];
  const connect = async (password?: string) => {
    const cp = new SimulatedChargePoint({ url, id: code, password });
    cps.push(cp);
    const status = await statusOf(cp.connect());
    if (status === 'connected') await cp.close();
    return status;
  };
  const assetEvent = (credentialRevoked?: boolean): AssetEvent => ({
    id: randomUUID(),
    version: 1,
    tenantId,
    occurredAt: new Date().toISOString(),
    type: 'charger.changed',
    data: { chargerId, code, stationId: randomUUID(), timezone: 'Asia/Shanghai', protocol: 'OCPP16', connectorNos: [1], revision: 2, credentialRevoked },
  });

  beforeAll(async () => {
    bus = new KafkaEventBus({ clientId: uniqueName('auth-cache'), brokers: await ensureKafka(), logger });
    const config = bridgeConfig({
      bridgeId: uniqueName('auth-cache'),
      topic: uniqueName('t_auth_cache_events'),
      commandTopic: uniqueName('t_auth_cache_commands'),
      assetEventsTopic: assetTopic,
    });
    bridge = createBridge({ bus, directory, logger, config, credentials });
    await bridge.startCommands();
    url = `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`;
  });
  afterAll(async () => {
    await Promise.allSettled(cps.map((c) => c.close()));
    await bridge?.close();
    await bus?.close();
  });

  it('the same password again is admitted without scrypt; a wrong one is checked and refused, and never becomes a hit', async () => {
    expect(await connect(TEST_CHARGER_PASSWORD)).toBe('connected');
    expect(scrypts).toHaveLength(1);
    for (let i = 0; i < 5; i++) expect(await connect(TEST_CHARGER_PASSWORD)).toBe('connected');
    expect(scrypts).toHaveLength(1);
    expect(await connect('a-wrong-password-000001')).toBe(401);
    expect(await connect('a-wrong-password-000001')).toBe(401);
    // one scrypt for the wrong password: its retry is answered from memory, as wrong
    expect(scrypts).toHaveLength(2);
    expect(await connect(TEST_CHARGER_PASSWORD)).toBe('connected');
    expect(scrypts).toHaveLength(2);
    expect(await bridge.diagnostics.metrics.get('OCPP16', 'password_check_cached')).toBeGreaterThanOrEqual(7);
  });

  it('an asset event naming the charger makes its next connect run scrypt', async () => {
    const before = scrypts.length;
    await bus.publish(assetTopic, [encodeWith(AssetEvents, assetEvent())]);
    await eventually(async () => credentials.size === 0, { what: 'the charger forgotten', timeoutMs: 30_000 });
    expect(await connect(TEST_CHARGER_PASSWORD)).toBe('connected');
    expect(scrypts).toHaveLength(before + 1);
  });

  it('a rotated credential: the remembered old password is checked against the new hash and refused; the new one gets in', async () => {
    const rotated = 'a-rotated-password-00001';
    directory.update(code, { credentialHash: await hashChargerPassword(rotated) });
    const before = scrypts.length;
    expect(await connect(TEST_CHARGER_PASSWORD)).toBe(401);
    expect(await connect(rotated)).toBe('connected');
    expect(await connect(rotated)).toBe('connected');
    expect(scrypts).toHaveLength(before + 2);
  });

  it('revoked: refused whatever it remembers, without a scrypt', async () => {
    const live = new SimulatedChargePoint({ url, id: code, password: 'a-rotated-password-00001' });
    cps.push(live);
    await live.connect();
    const before = scrypts.length;
    directory.update(code, { credentialRevokedAt: new Date().toISOString(), credentialHash: null });
    await bus.publish(assetTopic, [encodeWith(AssetEvents, assetEvent(true))]);
    await eventually(async () => !live.isOpen, { what: 'the revoked connection closed', timeoutMs: 30_000 });
    expect(await connect('a-rotated-password-00001')).toBe(401);
    expect(scrypts).toHaveLength(before);
  });
});
