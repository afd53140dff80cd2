import { randomUUID } from 'node:crypto';
import { AssetEvent, AssetEvents, encodeWith } from '@evcs/events';
import { createLogger, generateSigningKey, KafkaEventBus, ServiceGraphQLClient, Subscription, TokenIssuer } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { GraphQLChargerDirectory } from '../src/directory';
import { startAssetListener } from '../src/kafka/asset-listener';

/**
 * Read-your-writes for charger creation: a charger that tried to connect before an operator created
 * it is let in at its next attempt, not after the directory's negative cache expires. Asset events
 * go through real Kafka to the listener and the directory the bridge uses; assets itself is a fake
 * answering from `known` (the directory's own unit test covers its HTTP side).
 */
describe('asset listener → charger directory (real Kafka)', () => {
  const logger = createLogger('asset-listener-test', { level: 'silent' });
  const tenantId = randomUUID();
  const known: Record<string, Record<string, unknown>> = {};
  let bus: KafkaEventBus;
  let listener: Subscription | undefined;
  let directory: GraphQLChargerDirectory;
  const topic = uniqueName('t_asset_listener');

  const registration = (chargerId: string) => ({
    chargerId,
    tenantId,
    stationId: randomUUID(),
    protocol: 'OCPP16',
    securityProfile: 1,
    credentialHash: 'scrypt$16384$8$1$c2FsdA==$a2V5',
    ykcIdentity: null,
    allowedSourceCidrs: [],
    desKeyRef: null,
    allowProfile0Commissioning: false,
    learnYkcIdentityOnFirstLogin: false,
  });
  const event = (type: AssetEvent['type'], chargerId: string, code: string, revision: number): AssetEvent => ({
    id: randomUUID(),
    version: 1,
    tenantId,
    occurredAt: new Date().toISOString(),
    type,
    data: { chargerId, code, stationId: randomUUID(), timezone: 'Asia/Shanghai', protocol: 'OCPP16', connectorNos: [1], revision },
  });

  beforeAll(async () => {
    bus = new KafkaEventBus({ clientId: uniqueName('asset-listener'), brokers: await ensureKafka(), logger });
    const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
      const code = (JSON.parse(String(init?.body)) as { variables: { code: string } }).variables.code;
      return Response.json({ data: { chargerRegistration: known[code] ?? null } });
    }) as typeof fetch;
    const tokens = new TokenIssuer(await generateSigningKey('bridge-assets-test'), 'evcs-bridge');
    // a negative answer cached for 10 minutes: only the event can make the new charger known in time
    directory = new GraphQLChargerDirectory(
      new ServiceGraphQLClient({ url: 'http://assets.test/graphql', tokens, subject: 'protocol-bridge', fetch: fetchFn }),
      {
        negativeTtlMs: 600_000,
        positiveTtlMs: 600_000,
      },
    );
    listener = await startAssetListener({ bus, topic, groupId: uniqueName('bridge-assets'), forget: (c) => directory.forget(c), logger });
  });
  afterAll(async () => {
    await listener?.stop();
    await bus?.close();
  });

  it('a charger created after its refused attempt gets in at the next one; retired, it is refused again', async () => {
    const chargerId = randomUUID();
    const code = `CP-${chargerId.slice(0, 8)}`;
    await expect(directory.resolve(code)).resolves.toBeNull();
    // the operator creates it; assets publishes charger.registered
    known[code] = registration(chargerId);
    await expect(directory.resolve(code)).resolves.toBeNull();
    await bus.publish(topic, [encodeWith(AssetEvents, event('charger.registered', chargerId, code, 1))]);
    await eventually(async () => (await directory.resolve(code)) !== null, { what: 'the new charger found', timeoutMs: 30_000 });
    await expect(directory.resolve(code)).resolves.toMatchObject({ chargerId, tenantId });
    // retired at assets: refused at once, though the positive answer was cached for 10 minutes
    delete known[code];
    await bus.publish(topic, [encodeWith(AssetEvents, event('charger.retired', chargerId, code, 2))]);
    await eventually(async () => (await directory.resolve(code)) === null, { what: 'the retired charger refused', timeoutMs: 30_000 });
  });
});
