import { randomUUID } from 'node:crypto';
import {
  createKnex,
  createLogger,
  generateSigningKey,
  KafkaEventBus,
  Knex,
  listen,
  ServiceGraphQLClient,
  TokenIssuer,
  internalTokenVerifier,
  issuerBoundJwks,
} from '@evcs/platform';
import { createTestDatabase, ensureKafka, TestDatabase, uniqueName } from '@evcs/testkit';
import { ChargerFacts, ChargerLookup, createTariffsServer, migrations as tariffsMigrations, seedDemoTariffs, TariffsServer } from '@evcs/tariffs';
import type { ChargerDirectory } from '../src/ports';
import { bridgeConfig } from '../src/config';
import { Bridge, createBridge } from '../src/server';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { billingModelReply, billingModelRequest, billingModelVerify, billingModelVerifyReply } from '../src/ykc/messages';
import { TariffsBillingModelSource } from '../src/ykc/tariff-models';
import { BridgeDatabase, bridgeDatabase, listenTcp, testDirectory } from './support';

/**
 * The assets answer tariffs needs to bind a charger, from the same registrations
 * the bridge's directory holds (so both see one charger at one station).
 */
class DirectoryChargers implements ChargerLookup {
  constructor(private readonly byChargerId: Map<string, { tenantId: string; stationId: string }>) {}
  async charger(tenantId: string, chargerId: string): Promise<ChargerFacts | null> {
    const c = this.byChargerId.get(chargerId);
    return c && c.tenantId === tenantId ? { stationId: c.stationId, protocol: 'YKC' } : null;
  }
}

const MODEL = 'ykcBillingModel { representable modelNo slots tiers { tier energyRate serviceRate } }';
const PRICED = `query($i: PriceSessionInput!, $c: ID!, $s: ID) {
  priceSession(input: $i) { planId source planVersions }
  effectiveTariff(chargerId: $c, stationId: $s) { source plan { id versionAt { version ${MODEL} } } }
}`;

/**
 * A YKC pile holds the model of the plan its sessions are priced with, whichever
 * binding applies — its own, its station's default, its tenant's default — and that
 * model is tariffs' conversion, encoded as it is. Real TCP, real HTTP, real Postgres.
 */
describe('YKC billing model from the tariffs service (real TCP, real HTTP, real Postgres)', () => {
  const logger = createLogger('ykc-billing-test', { level: (process.env.LOG_LEVEL as 'silent') ?? 'silent' });
  const tenantId = randomUUID();
  const station = randomUUID();
  const bareStation = randomUUID();
  const PILES = {
    'its own binding': { pileNo: '32010600019297', chargerId: randomUUID(), stationId: station, source: 'CHARGER' },
    "its station's default": { pileNo: '32010600019298', chargerId: randomUUID(), stationId: station, source: 'STATION' },
    "its tenant's default": { pileNo: '32010600019299', chargerId: randomUUID(), stationId: bareStation, source: 'TENANT' },
  } as const;
  let tdb: TestDatabase;
  let knex: Knex;
  let tariffs: TariffsServer;
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
    await seedDemoTariffs(knex, tenantId);
    const bridgeKey = await generateSigningKey('bridge-k');
    const routerKey = await generateSigningKey('router-k');
    router = new TokenIssuer(routerKey, 'evcs-router');
    const chargers = new DirectoryChargers(new Map(Object.values(PILES).map((p) => [p.chargerId, { tenantId, stationId: p.stationId }])));
    tariffs = await createTariffsServer({
      knex,
      chargers,
      verifier: internalTokenVerifier(issuerBoundJwks({ 'evcs-bridge': [bridgeKey.publicJwk], 'evcs-router': [routerKey.publicJwk] })),
      logger,
    });
    tariffsUrl = `http://127.0.0.1:${await listen(tariffs.server, 0)}/graphql`;
    const directory: ChargerDirectory = testDirectory(
      Object.fromEntries(Object.values(PILES).map((p) => [p.pileNo, { tenantId, chargerId: p.chargerId, stationId: p.stationId }])),
    );
    const billingModels = new TariffsBillingModelSource(
      new ServiceGraphQLClient({ url: tariffsUrl, tokens: new TokenIssuer(bridgeKey, 'evcs-bridge'), subject: 'protocol-bridge' }),
      directory,
    );
    bus = new KafkaEventBus({ clientId: uniqueName('ykc-billing'), brokers: await ensureKafka(), logger });
    const topic = uniqueName('ykc_billing_events');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    database = await bridgeDatabase();
    bridge = createBridge({
      bus,
      directory,
      billingModels,
      logger,
      store: database.store,
      config: bridgeConfig({ bridgeId: 'ykc-billing', heartbeatIntervalS: 60, topic }),
    });
    await listen(bridge.httpServer, 0);
    ykcPort = await listenTcp(bridge.ykcServer);

    // A station default and a charger's own plan beside the tenant's (seeded) default, each with other prices.
    const stationPlan = await gql('mutation($input: CreateTariffPlanInput!) { createTariffPlan(input: $input) { plan { id } userErrors { message } } }', {
      input: {
        stationId: station,
        name: 'Station default',
        isDefault: true,
        segments: [
          { start: '00:00', end: '07:00', energyPrice: '0.3000', serviceFee: '0.1000' },
          { start: '07:00', end: '24:00', energyPrice: '1.2345', serviceFee: '0.5000' },
        ],
      },
    });
    expect(stationPlan.data.createTariffPlan.userErrors).toEqual([]);
    const ownPlan = await gql('mutation($input: CreateTariffPlanInput!) { createTariffPlan(input: $input) { plan { id } userErrors { message } } }', {
      input: { stationId: station, name: 'Fast lane', segments: [{ start: '00:00', end: '24:00', energyPrice: '0.9999', serviceFee: '0.0001' }] },
    });
    expect(ownPlan.data.createTariffPlan.userErrors).toEqual([]);
    const bound = await gql('mutation($input: BindChargerTariffInput!) { bindChargerTariff(input: $input) { userErrors { message } } }', {
      input: { chargerId: PILES['its own binding'].chargerId, planId: ownPlan.data.createTariffPlan.plan.id },
    });
    expect(bound.data.bindChargerTariff.userErrors).toEqual([]);
  });
  afterAll(async () => {
    await Promise.allSettled(piles.map((p) => p.close()));
    await bridge?.close();
    await bus?.close();
    await database?.close();
    await tariffs?.stop();
    // The server doesn't own the pool it was given; a pool left open keeps jest alive until its connections idle out.
    await knex?.destroy();
    await tdb?.drop();
  });

  async function gql(query: string, variables: Record<string, unknown>) {
    const token = await router.issue({
      subject: 'operator',
      kind: 'user',
      tenantId,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['tariff:read', 'tariff:write'],
      dataScope: 'TENANT',
    });
    const res = await fetch(tariffsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body;
  }

  async function loggedIn(pileNo: string): Promise<SimulatedYkcPile> {
    const pile = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo });
    piles.push(pile);
    await pile.connect();
    expect(await pile.login()).toBe(true);
    return pile;
  }

  it.each(Object.entries(PILES))('a pile priced by %s holds the model of the plan its sessions are priced with', async (_, p) => {
    const pile = await loggedIn(p.pileNo);
    await pile.syncBillingModel();
    // The plan orders prices this pile's sessions with (orders asks with the charger's station), and tariffs' conversion of it.
    // A session from now on: priced with the version in force now, the one the pile holds.
    const now = Date.now();
    const { data } = await gql(PRICED, {
      i: {
        chargerId: p.chargerId,
        stationId: p.stationId,
        startedAt: new Date(now + 1000).toISOString(),
        stoppedAt: new Date(now + 601_000).toISOString(),
        energyWh: '1000',
      },
      c: p.chargerId,
      s: p.stationId,
    });
    expect(data.priceSession.source).toBe(p.source);
    const plan = data.effectiveTariff.plan;
    expect(plan.id).toBe(data.priceSession.planId);
    expect(data.priceSession.planVersions).toEqual([plan.versionAt.version]);
    const converted = plan.versionAt.ykcBillingModel;
    expect(converted.representable).toBe(true);
    expect(pile.model).toEqual({
      modelNo: converted.modelNo,
      tiers: [0, 1, 2, 3].map((t) => {
        const tier = converted.tiers.find((x: { tier: number }) => x.tier === t);
        return { electricity: tier.energyRate, service: tier.serviceRate };
      }),
      slots: converted.slots,
      lossRatio: 0,
    });
  });

  it('the three bindings really are three models, with the prices of their plans', () => {
    const [bound, atStation, atTenant] = [PILES['its own binding'], PILES["its station's default"], PILES["its tenant's default"]].map(
      (p) => piles.find((x) => x.pileNo === p.pileNo)!.model,
    );
    expect(new Set([bound.modelNo, atStation.modelNo, atTenant.modelNo]).size).toBe(3);
    expect(bound.slots.map((s) => bound.tiers[s])).toEqual(Array(48).fill({ electricity: 99_990, service: 10 }));
    // Station default: 0.3000 + 0.1000 until 07:00, then 1.2345 + 0.5000 — exactly ×10^5, no float on the way.
    expect(atStation.slots.map((s) => atStation.tiers[s])).toEqual(
      Array.from({ length: 48 }, (_, k) => (k < 14 ? { electricity: 30_000, service: 10_000 } : { electricity: 123_450, service: 50_000 })),
    );
    expect(atStation.tiers.slice(2)).toEqual([
      { electricity: 0, service: 0 },
      { electricity: 0, service: 0 },
    ]);
    // Tenant default: the seeded demo plan.
    expect(atTenant.slots.map((s) => atTenant.tiers[s])).toEqual(
      Array.from({ length: 48 }, (_, k) =>
        k < 16 ? { electricity: 68_000, service: 35_000 } : k < 36 ? { electricity: 85_000, service: 40_000 } : { electricity: 78_000, service: 38_000 },
      ),
    );
  });

  it('answers 0x09 as 0x0A with the same sequence number, and 0x05 tells a stale model from the current one', async () => {
    const pile = piles.find((x) => x.pileNo === PILES["its tenant's default"].pileNo)!;
    const reply = pile.next(0x0a, 5000);
    pile.send(billingModelRequest, { pileNo: pile.pileNo }, Buffer.from([0x00, 0x07]));
    const frame = await reply;
    expect(frame.seq.toString('hex')).toBe('0007');
    const { pileNo, ...model } = billingModelReply.decode(frame.body);
    expect(pileNo).toBe(pile.pileNo);
    expect(model).toEqual(pile.model);

    const current = pile.next(0x06, 5000);
    pile.send(billingModelVerify, { pileNo, modelNo: model.modelNo }, Buffer.from([0x00, 0x08]));
    expect(billingModelVerifyReply.decode((await current).body)).toMatchObject({ current: true });
    const stale = pile.next(0x06, 5000);
    pile.send(billingModelVerify, { pileNo, modelNo: model.modelNo === '0001' ? '0002' : '0001' }, Buffer.from([0x00, 0x09]));
    expect(billingModelVerifyReply.decode((await stale).body)).toMatchObject({ current: false });
  });
});
