import { randomUUID } from 'node:crypto';
import { TARIFF_EVENTS_PARTITIONS, TARIFF_EVENTS_TOPIC } from '@evcs/events';
import {
  createKnex,
  createLogger,
  generateSigningKey,
  KafkaEventBus,
  kafkaNames,
  Knex,
  listen,
  OutboxRelay,
  PgOutbox,
  ServiceGraphQLClient,
  TokenIssuer,
  internalTokenVerifier,
  issuerBoundJwks,
} from '@evcs/platform';
import { createTestDatabase, ensureKafka, TestDatabase, uniqueName } from '@evcs/testkit';
import { createTariffsServer, migrations as tariffsMigrations, seedDemoTariffs, TariffsServer } from '@evcs/tariffs';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { billingModelReply, billingModelRequest, setBillingModel } from '../src/ykc/messages';
import { TariffsBillingModelSource } from '../src/ykc/tariff-models';
import { BridgeDatabase, bridgeDatabase, listenTcp, testDirectory } from './support';

/**
 * A YKC pile bills locally with the model it holds: when the operator revises
 * the plan, the tariffs service's event reaches the bridge (real Kafka) and every
 * connected pile of that tenant is sent the new model (0x58) — over real TCP,
 * with the model from the real tariffs service over HTTP.
 */
describe('YKC billing models pushed when tariffs change (real Kafka, TCP, HTTP, Postgres)', () => {
  const logger = createLogger('ykc-push-test', { level: (process.env.LOG_LEVEL as 'silent') ?? 'silent' });
  const tenant = randomUUID();
  const other = randomUUID();
  const PILES = { a: '32010600019301', b: '32010600019302', foreign: '32010600019303' };
  let tdb: TestDatabase;
  let knex: Knex;
  let tariffs: TariffsServer;
  let relay: OutboxRelay;
  let tariffsUrl: string;
  let router: TokenIssuer;
  let bus: KafkaEventBus;
  let database: BridgeDatabase;
  let bridge: Bridge;
  let ykcPort: number;
  const piles: SimulatedYkcPile[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase([tariffsMigrations]);
    knex = createKnex({ connectionString: tdb.appUrl, schema: 'tariffs', pool: { max: 3 } });
    await seedDemoTariffs(knex, tenant);
    await seedDemoTariffs(knex, other);
    const bridgeKey = await generateSigningKey('bridge-k');
    const routerKey = await generateSigningKey('router-k');
    router = new TokenIssuer(routerKey, 'evcs-router');
    bus = new KafkaEventBus({ clientId: uniqueName('ykc-push'), brokers: await ensureKafka(), logger });
    // tariffs publishes through its outbox relay, under a namespace of this test's own
    const tariffNames = kafkaNames(uniqueName('ykc_push'));
    const tariffTopic = tariffNames.topic(TARIFF_EVENTS_TOPIC);
    const topic = uniqueName('ykc_push_events');
    const commandTopic = uniqueName('ykc_push_commands');
    await bus.ensureTopics([
      { topic, partitions: 1 },
      { topic: commandTopic, partitions: 1 },
    ]);
    tariffs = await createTariffsServer({
      knex,
      verifier: internalTokenVerifier(issuerBoundJwks({ 'evcs-bridge': [bridgeKey.publicJwk], 'evcs-router': [routerKey.publicJwk] })),
      onCommitted: () => relay.wake(),
      logger,
    });
    // the relay beside it, as runSubgraphMain runs it
    relay = new OutboxRelay({
      outbox: new PgOutbox(knex, 'tariffs'),
      bus,
      names: tariffNames,
      logger,
      idleMs: 50,
      prepare: () => bus.ensureTopics([{ topic: tariffTopic, partitions: TARIFF_EVENTS_PARTITIONS }]),
    });
    relay.start();
    tariffsUrl = `http://127.0.0.1:${await listen(tariffs.server, 0)}/graphql`;
    const directory = testDirectory({
      [PILES.a]: { tenantId: tenant, chargerId: randomUUID() },
      [PILES.b]: { tenantId: tenant, chargerId: randomUUID() },
      [PILES.foreign]: { tenantId: other, chargerId: randomUUID() },
    });
    const billingModels = new TariffsBillingModelSource(
      new ServiceGraphQLClient({ url: tariffsUrl, tokens: new TokenIssuer(bridgeKey, 'evcs-bridge'), subject: 'protocol-bridge' }),
      directory,
    );
    database = await bridgeDatabase();
    bridge = createBridge({
      bus,
      directory,
      billingModels,
      logger,
      store: database.store,
      config: bridgeConfig({ bridgeId: uniqueName('push'), heartbeatIntervalS: 60, topic, commandTopic, tariffEventsTopic: tariffTopic }),
    });
    await listen(bridge.httpServer, 0);
    ykcPort = await listenTcp(bridge.ykcServer);
    await bridge.startCommands();
  });
  afterAll(async () => {
    await Promise.allSettled(piles.map((p) => p.close()));
    await bridge?.close();
    await bus?.close();
    await database?.close();
    await tariffs?.stop();
    await relay?.stop();
    await knex?.destroy();
    await tdb?.drop();
  });

  async function connected(pileNo: string): Promise<SimulatedYkcPile> {
    const pile = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo });
    piles.push(pile);
    await pile.connect();
    expect(await pile.login()).toBe(true);
    return pile;
  }

  async function gql(query: string, variables: Record<string, unknown>) {
    const token = await router.issue({
      subject: 'operator',
      kind: 'user',
      tenantId: tenant,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['tariff:read', 'tariff:write'],
      dataScope: 'TENANT',
    });
    const res = await fetch(tariffsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }

  it("a plan revision reaches every connected pile of the tenant as 0x58 with the new prices; other tenants' piles and piles already current get nothing", async () => {
    const a = await connected(PILES.a);
    const b = await connected(PILES.b);
    const foreign = await connected(PILES.foreign);
    // Pile A takes the current model at login, as piles do.
    const first = a.next(0x0a, 5000);
    a.send(billingModelRequest, { pileNo: PILES.a }, Buffer.from([0x00, 0x01]));
    const before = billingModelReply.decode((await first).body);

    const plans = await gql('{ tariffPlans(tenantLevel: true) { id isDefault } }', {});
    const plan = plans.data.tariffPlans.find((p: { isDefault: boolean }) => p.isDefault);
    const pushedA = a.next(0x58, 15_000);
    const pushedB = b.next(0x58, 15_000);
    const nothing = foreign.next(0x58, 2_000).then(
      () => 'pushed',
      () => 'nothing',
    );
    const rev = await gql('mutation($input: ReviseTariffPlanInput!) { reviseTariffPlan(input: $input) { version { version } userErrors { code message } } }', {
      input: {
        planId: plan.id,
        segments: [
          { start: '00:00', end: '12:00', energyPrice: '0.5000', serviceFee: '0.2000' },
          { start: '12:00', end: '24:00', energyPrice: '1.1000', serviceFee: '0.3000' },
        ],
      },
    });
    expect(rev.data.reviseTariffPlan.userErrors).toEqual([]);

    for (const [pileNo, frame] of [
      [PILES.a, await pushedA],
      [PILES.b, await pushedB],
    ] as const) {
      const model = setBillingModel.decode(frame.body);
      expect(model.pileNo).toBe(pileNo);
      expect(model.modelNo).not.toBe(before.modelNo);
      for (let k = 0; k < 48; k++) {
        const t = model.tiers[model.slots[k]];
        const [electricity, service] = k < 24 ? [50_000, 20_000] : [110_000, 30_000];
        expect({ k, electricity: t.electricity, service: t.service }).toEqual({ k, electricity, service });
      }
    }
    expect(await nothing).toBe('nothing');
    // Both took it (the simulator confirms 0x57): asked again, nobody needs it.
    await expect(bridge.pushBillingModels(tenant)).resolves.toEqual({ pushed: 0, current: 2, failed: 0 });
  });
});
