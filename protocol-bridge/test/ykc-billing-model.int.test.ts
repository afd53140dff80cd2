import { randomUUID } from 'node:crypto';
import { createKnex, createLogger, generateSigningKey, KafkaEventBus, Knex, listen, ServiceGraphQLClient, TokenIssuer, TokenVerifier } from '@evcs/platform';
import { createTestDatabase, ensureKafka, TestDatabase, uniqueName } from '@evcs/testkit';
import { createTariffsServer, migrations as tariffsMigrations, seedDemoTariffs, TariffsServer } from '@evcs/tariffs';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { billingModelReply, billingModelRequest, billingModelVerify, billingModelVerifyReply } from '../src/ykc/messages';
import { modelNumber, TariffsBillingModelSource, toFenThousandths } from '../src/ykc/tariff-models';
import { BridgeDatabase, bridgeDatabase, listenTcp, testDirectory } from './support';

/** A YKC pile asks for its billing model (0x09) and gets the tariffs service's plan for it (0x0A), over real TCP and HTTP. */
describe('YKC billing model from the tariffs service (real TCP, real HTTP, real Postgres)', () => {
  const logger = createLogger('ykc-billing-test', { level: (process.env.LOG_LEVEL as 'silent') ?? 'silent' });
  const tenantId = randomUUID();
  const PILE = '32010600019299';
  let tdb: TestDatabase;
  let knex: Knex;
  let tariffs: TariffsServer;
  let bus: KafkaEventBus;
  let database: BridgeDatabase;
  let bridge: Bridge;
  let ykcPort: number;
  let pile: SimulatedYkcPile | undefined;

  beforeAll(async () => {
    tdb = await createTestDatabase([tariffsMigrations]);
    knex = createKnex({ connectionString: tdb.appUrl, schema: 'tariffs', pool: { max: 3 } });
    await seedDemoTariffs(knex, tenantId);
    const bridgeKey = await generateSigningKey('bridge-k');
    tariffs = await createTariffsServer({ knex, verifier: new TokenVerifier({ keys: [bridgeKey.publicJwk] }, ['evcs-bridge']), logger });
    const tariffsUrl = `http://127.0.0.1:${await listen(tariffs.server, 0)}/graphql`;
    const directory = testDirectory({ [PILE]: { tenantId, chargerId: randomUUID() } });
    const billingModels = new TariffsBillingModelSource(new ServiceGraphQLClient({ url: tariffsUrl, tokens: new TokenIssuer(bridgeKey, 'evcs-bridge'), subject: 'protocol-bridge' }), directory);
    bus = new KafkaEventBus({ clientId: uniqueName('ykc-billing'), brokers: await ensureKafka(), logger });
    const topic = uniqueName('ykc_billing_events');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    database = await bridgeDatabase();
    bridge = createBridge({ bus, directory, billingModels, logger, store: database.store, config: bridgeConfig({ bridgeId: 'ykc-billing', heartbeatIntervalS: 60, topic }) });
    await listen(bridge.httpServer, 0);
    ykcPort = await listenTcp(bridge.ykcServer);
  });
  afterAll(async () => {
    await pile?.close();
    await bridge?.close();
    await bus?.close();
    await database?.close();
    await tariffs?.stop();
    // The server doesn't own the pool it was given; a pool left open keeps jest alive until its connections idle out.
    await knex?.destroy();
    await tdb?.drop();
  });

  it('answers 0x09 with the plan billing uses, as 4 tiers over 48 half-hours, and 0x05 tells a stale model from the current one', async () => {
    pile = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo: PILE });
    await pile.connect();
    expect(await pile.login()).toBe(true);
    const reply = pile.next(0x0a, 5000);
    pile.send(billingModelRequest, { pileNo: PILE }, Buffer.from([0x00, 0x07]));
    const frame = await reply;
    expect(frame.seq.toString('hex')).toBe('0007');
    const model = billingModelReply.decode(frame.body);
    expect(model.pileNo).toBe(PILE);
    // Every half-hour slot carries the price of the demo plan's segment at that time of day.
    const priceAt = (minute: number) => (minute < 480 ? ['0.6800', '0.3500'] : minute < 1080 ? ['0.8500', '0.4000'] : ['0.7800', '0.3800']);
    for (let k = 0; k < 48; k++) {
      const t = model.tiers[model.slots[k]];
      const [e, s] = priceAt(k * 30);
      expect({ k, electricity: t.electricity, service: t.service }).toEqual({ k, electricity: toFenThousandths(e), service: toFenThousandths(s) });
    }

    const current = pile.next(0x06, 5000);
    pile.send(billingModelVerify, { pileNo: PILE, modelNo: model.modelNo }, Buffer.from([0x00, 0x08]));
    expect(billingModelVerifyReply.decode((await current).body)).toMatchObject({ current: true });
    const stale = pile.next(0x06, 5000);
    pile.send(billingModelVerify, { pileNo: PILE, modelNo: model.modelNo === '0001' ? '0002' : '0001' }, Buffer.from([0x00, 0x09]));
    expect(billingModelVerifyReply.decode((await stale).body)).toMatchObject({ current: false });
  });

  it('model numbers change with the plan and with its version', () => {
    expect(modelNumber('plan-a', 1)).toMatch(/^\d{4}$/);
    expect(modelNumber('plan-a', 1)).not.toBe(modelNumber('plan-a', 2));
    expect(toFenThousandths('0.68')).toBe(68000);
    expect(toFenThousandths('1.23456')).toBe(123456);
  });
});
