import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChargerCommand, encodeChargerCommand, IDTAG_EVENTS_TOPIC } from '@evcs/events';
import {
  createKnex,
  createLogger,
  exportSigningKey,
  generateSigningKey,
  KafkaEventBus,
  kafkaNames,
  Knex,
  listen,
  OutboxRelay,
  PgOutbox,
  ServiceGraphQLClient,
  SubgraphServer,
  Subscription,
  TokenIssuer,
  withTenant,
  internalTokenVerifier,
  issuerBoundJwks,
} from '@evcs/platform';
import { createTestDatabase, ensureKafka, eventually, TestDatabase, uniqueName } from '@evcs/testkit';
import { createTenantsServer, KeyRing, migrations as tenantsMigrations, PasswordHasher, seedTenantWithAdmin } from '@evcs/tenants';
import { bridgeConfig } from '../src/config';
import { GraphQLIdTagAuthority, InMemoryIdTagAuthority } from '../src/id-tags';
import { PgLocalListStore } from '../src/persistence/local-list-store';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint } from '../src/simulator/charge-point';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { BridgeDatabase, bridgeDatabase, collectEvents, listenTcp, Received, TEST_CHARGER_PASSWORD, testDirectory } from './support';

const logger = createLogger('idtags-int-test', { level: (process.env.LOG_LEVEL as 'silent') ?? 'silent' });

/**
 * The id-token authority end to end: the real tenants subgraph (GraphQL over HTTP, Postgres, its
 * outbox relay to Kafka) answering the real bridge over real sockets (OCPP WebSocket, YKC TCP).
 */
describe('id tags: tenants authority → bridge → chargers (real HTTP, WebSocket, TCP, Kafka, Postgres)', () => {
  const tenantId = randomUUID();
  const stationId = randomUUID();
  const CP = 'IDTAG-CP-1';
  const CP_LIST = 'IDTAG-CP-LIST';
  const CP_NOLIST = 'IDTAG-CP-NOLIST';
  const CP_OTHER = 'IDTAG-CP-OTHER';
  const PILE = '32010600019401';
  const commandTopic = uniqueName('idtags_commands');
  let tdb: TestDatabase;
  let tknex: Knex;
  let tenants: SubgraphServer;
  let tenantsUrl: string;
  let admin: string;
  let driverId: string;
  let relay: OutboxRelay;
  let bus: KafkaEventBus;
  let database: BridgeDatabase;
  let bridge: Bridge;
  let wsUrl: string;
  let ykcPort: number;
  let subscription: Subscription;
  let received: Received[];
  const chargers: SimulatedChargePoint[] = [];
  const piles: SimulatedYkcPile[] = [];

  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(tenantsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const createTag = async (input: Record<string, unknown>) => {
    const d = await gql('mutation($i: CreateIdTagInput!) { createIdTag(input: $i) { userErrors { code field } } }', { i: input });
    expect(d.createIdTag.userErrors).toEqual([]);
  };
  const charger = async (id: string, opts: { localAuthList?: boolean } = {}) => {
    const cp = new SimulatedChargePoint({ url: wsUrl, id, password: TEST_CHARGER_PASSWORD, ...opts });
    chargers.push(cp);
    await cp.connect();
    expect((await cp.boot()).status).toBe('Accepted');
    return cp;
  };
  const started = (chargerId: string) => received.filter((r) => r.event.chargerId === chargerId && r.event.type === 'session.started');

  beforeAll(async () => {
    tdb = await createTestDatabase([tenantsMigrations]);
    tknex = createKnex({ connectionString: tdb.appUrl, schema: 'tenants', pool: { max: 6 } });
    const hasher = new PasswordHasher({ ln: 10, r: 8, p: 1 });
    const users = await seedTenantWithAdmin(tknex, hasher, {
      id: tenantId,
      code: `idtags-${tenantId.slice(0, 8)}`,
      name: 'Id-tag operator',
      type: 'OPERATOR',
      users: [{ username: 'driver', password: 'correct horse battery', roles: [] }],
    });
    driverId = users.driver;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'evcs-idtags-keys-'));
    const keysFile = path.join(dir, 'auth-keys.json');
    writeFileSync(keysFile, JSON.stringify({ keys: [JSON.parse(await exportSigningKey(await generateSigningKey('auth-idtags')))] }), { mode: 0o600 });
    const bridgeKey = await generateSigningKey('bridge-idtags');
    const routerKey = await generateSigningKey('router-idtags');
    tenants = await createTenantsServer({
      knex: tknex,
      verifier: internalTokenVerifier(issuerBoundJwks({ 'evcs-bridge': [bridgeKey.publicJwk], 'evcs-router': [routerKey.publicJwk] })),
      logger,
      keys: await KeyRing.load(keysFile, 0),
      hasher,
    });
    tenantsUrl = `http://127.0.0.1:${await listen(tenants.server, 0)}/graphql`;
    // What the router sends for a signed-in operator administrator.
    admin = await new TokenIssuer(routerKey, 'evcs-router').issue({
      subject: randomUUID(),
      kind: 'user',
      tenantId,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['idtag:read', 'idtag:write'],
      dataScope: 'TENANT',
      visibleTenantIds: [tenantId],
    });

    const brokers = await ensureKafka();
    bus = new KafkaEventBus({ clientId: uniqueName('idtags-int'), brokers, logger });
    const names = kafkaNames(uniqueName('idtags'));
    const idTagTopic = names.topic(IDTAG_EVENTS_TOPIC);
    relay = new OutboxRelay({
      outbox: new PgOutbox(tknex, 'tenants'),
      bus,
      names,
      logger,
      idleMs: 50,
      prepare: () => bus.ensureTopics([{ topic: idTagTopic, partitions: 1 }]),
    });
    relay.start();

    const topic = uniqueName('idtags_charger_events');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    database = await bridgeDatabase();
    const registration = () => ({ tenantId, chargerId: randomUUID(), stationId });
    bridge = createBridge({
      bus,
      directory: testDirectory({
        [CP]: registration(),
        [CP_LIST]: registration(),
        [CP_NOLIST]: registration(),
        [CP_OTHER]: registration(),
        [PILE]: registration(),
      }),
      idTags: new GraphQLIdTagAuthority(
        new ServiceGraphQLClient({ url: tenantsUrl, tokens: new TokenIssuer(bridgeKey, 'evcs-bridge'), subject: 'protocol-bridge' }),
      ),
      localListStore: new PgLocalListStore(database.knex),
      store: database.store,
      logger,
      config: bridgeConfig({ bridgeId: 'idtags-int', heartbeatIntervalS: 60, topic, commandTopic, idTagEventsTopic: idTagTopic, ykcCardBalanceFen: 15_000 }),
    });
    wsUrl = `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`;
    ykcPort = await listenTcp(bridge.ykcServer);
    await bridge.startCommands();
    ({ received, subscription } = await collectEvents(bus, topic));

    await createTag({ value: 'OK-1', userId: driverId });
    await createTag({ value: 'BLK-1', status: 'BLOCKED' });
    await createTag({ value: 'EXP-1', expiresAt: new Date(Date.now() - 60_000).toISOString() });
    await createTag({ value: 'A1B2C3D4', userId: driverId, parentIdTag: 'FLEET-1' });
    await createTag({ value: 'C0FFEE01', status: 'BLOCKED' });
  });

  afterAll(async () => {
    await Promise.allSettled([...chargers.map((c) => c.close()), ...piles.map((p) => p.close())]);
    await bridge?.close();
    await relay?.stop();
    await subscription?.stop();
    await bus?.close();
    await database?.close();
    await tenants?.stop();
    await tknex?.destroy();
    await tdb?.drop();
  });

  it('Authorize answers from the tenant’s tags: known Accepted, blocked, expired, unknown Invalid; free vending only where the tenant says', async () => {
    const cp = await charger(CP);
    expect((await cp.authorize('ok-1')).idTagInfo).toEqual({ status: 'Accepted' });
    expect((await cp.authorize('BLK-1')).idTagInfo).toEqual({ status: 'Blocked' });
    expect((await cp.authorize('EXP-1')).idTagInfo).toMatchObject({ status: 'Expired' });
    expect((await cp.authorize('NOBODY-1')).idTagInfo).toEqual({ status: 'Invalid' });
    expect((await cp.authorize('A1B2C3D4')).idTagInfo).toEqual({ status: 'Accepted', parentIdTag: 'FLEET-1' });

    await gql('mutation($i: IdTagPolicyInput!) { setIdTagPolicy(input: $i) { userErrors { code } } }', {
      i: { freeVending: true, freeVendingStationIds: [stationId] },
    });
    expect((await cp.authorize('FREE-1')).idTagInfo).toEqual({ status: 'Accepted' });
    expect((await cp.authorize('BLK-1')).idTagInfo).toEqual({ status: 'Blocked' });
    await gql('mutation($i: IdTagPolicyInput!) { setIdTagPolicy(input: $i) { userErrors { code } } }', { i: { freeVending: false } });
  });

  it('StartTransaction puts the tag’s user on session.started; a blocked tag still gets a transaction id, told Blocked, published as such', async () => {
    const cp = chargers[0];
    const ok = await cp.startTransaction(1, 'OK-1', 1000);
    expect(ok.idTagInfo).toEqual({ status: 'Accepted' });
    const blocked = await cp.startTransaction(2, 'BLK-1', 2000);
    expect(blocked.idTagInfo).toEqual({ status: 'Blocked' });
    expect(blocked.transactionId).toEqual(expect.any(Number));
    const events = await eventually(async () => (started(CP).length >= 2 ? started(CP) : null), { what: 'two session.started' });
    const byTx = new Map(events.map((r) => [r.event.type === 'session.started' ? r.event.data.transactionId : '', r.event]));
    expect(byTx.get(String(ok.transactionId))).toMatchObject({ data: { idTag: 'OK-1', authorization: 'Accepted', userId: driverId } });
    const b = byTx.get(String(blocked.transactionId));
    expect(b).toMatchObject({ data: { idTag: 'BLK-1', authorization: 'Blocked' } });
    expect(b?.type === 'session.started' && b.data.userId).toBeFalsy();
    expect((await cp.stopTransaction(ok.transactionId, 5000, { idTag: 'OK-1' })).idTagInfo).toEqual({ status: 'Accepted' });
    expect((await cp.stopTransaction(blocked.transactionId, 2000, { idTag: 'BLK-1' })).idTagInfo).toEqual({ status: 'Blocked' });
  });

  it('a remote start’s own tag (sent by the platform in RemoteStartTransaction) is Accepted at that charger only, without asking the authority', async () => {
    const cp = chargers[0];
    const idTag = `EV${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
    const c: ChargerCommand = {
      id: randomUUID(),
      version: 1,
      tenantId,
      chargerId: CP,
      issuedAt: new Date().toISOString(),
      timeoutMs: 10_000,
      command: { type: 'session.start', connectorId: 1, idTag },
    };
    await bus.publish(commandTopic, [encodeChargerCommand(c)]);
    await eventually(async () => cp.commandsReceived.find((x) => x.action === 'RemoteStartTransaction' && x.params.idTag === idTag), {
      timeoutMs: 30_000,
      what: 'RemoteStartTransaction',
    });
    expect((await cp.authorize(idTag)).idTagInfo).toEqual({ status: 'Accepted' });
    const start = await cp.startTransaction(1, idTag, 3000);
    expect(start.idTagInfo).toEqual({ status: 'Accepted' });
    const ev = await eventually(
      async () => started(CP).find((r) => r.event.type === 'session.started' && r.event.data.transactionId === String(start.transactionId)),
      { what: 'the remote session' },
    );
    expect(ev.event.type === 'session.started' && 'authorization' in ev.event.data).toBe(false);
    // Another charger of the tenant can't use it: the authority never heard of it.
    const other = await charger(CP_OTHER, { localAuthList: false });
    expect((await other.authorize(idTag)).idTagInfo).toEqual({ status: 'Invalid' });
    await other.close();
  });

  it('keeps a charger’s local list in step: a Full list once it is up, then a tag blocked through GraphQL reaches it as a Differential update', async () => {
    const cp = await charger(CP_LIST);
    const tenantVersion = async (): Promise<number> =>
      withTenant(
        tknex,
        tenantId,
        async (trx) =>
          ((await trx('tenants.id_tag_settings').select('list_version').where('tenant_id', tenantId).first()) as { list_version: number }).list_version,
      );
    const v0 = await tenantVersion();
    await eventually(async () => (cp.localListVersion === v0 ? true : null), { what: 'the Full local list' });
    expect(cp.commandsReceived.map((c) => `${c.action}${c.params.updateType ? `:${String(c.params.updateType)}` : ''}`)).toEqual([
      'GetLocalListVersion',
      'SendLocalList:Full',
    ]);
    expect(Object.fromEntries([...cp.localList].map(([k, v]) => [k, v.status]))).toEqual({
      'OK-1': 'Accepted',
      'BLK-1': 'Blocked',
      'EXP-1': 'Accepted',
      A1B2C3D4: 'Accepted',
      C0FFEE01: 'Blocked',
    });
    expect(cp.localList.get('EXP-1')?.expiryDate).toEqual(expect.any(String));
    expect(cp.localList.get('A1B2C3D4')?.parentIdTag).toBe('FLEET-1');

    const d = await gql('mutation { updateIdTag(input: { value: "ok-1", status: BLOCKED }) { idTag { status } userErrors { code } } }');
    expect(d.updateIdTag.idTag.status).toBe('BLOCKED');
    await eventually(async () => (cp.localList.get('OK-1')?.status === 'Blocked' ? true : null), { what: 'the blocked tag on the charger', timeoutMs: 15_000 });
    const last = cp.commandsReceived.at(-1)!;
    expect(last).toEqual({
      action: 'SendLocalList',
      params: { listVersion: v0 + 1, updateType: 'Differential', localAuthorizationList: [{ idTag: 'OK-1', idTagInfo: { status: 'Blocked' } }] },
    });
    expect(cp.localListVersion).toBe(v0 + 1);
    // The bridge records the version once the charger's confirmation is back, which may land just after the list does.
    const state = await eventually(
      async () => {
        const rows = await withTenant(database.knex, tenantId, (trx) =>
          trx('bridge.local_auth_lists').select('supported', 'list_version').where('charger_code', CP_LIST),
        );
        return rows[0]?.list_version === v0 + 1 ? rows : null;
      },
      { what: 'the new list version recorded', timeoutMs: 15_000 },
    );
    expect(state).toEqual([{ supported: true, list_version: v0 + 1 }]);
    // Online, the charger is told at once too: the change dropped the bridge's cached answer.
    expect((await cp.authorize('OK-1')).idTagInfo).toEqual({ status: 'Blocked' });

    // Deleting a tag removes it from the list.
    await gql('mutation { deleteIdTag(value: "EXP-1") { userErrors { code } } }');
    await eventually(async () => (!cp.localList.has('EXP-1') ? true : null), { what: 'the deleted tag gone from the charger' });
    expect(cp.localListVersion).toBe(v0 + 2);
  });

  it('a charger without Local Auth List Management is asked once and left alone', async () => {
    const cp = await charger(CP_NOLIST, { localAuthList: false });
    await eventually(async () => (cp.commandsReceived.length ? true : null), { what: 'GetLocalListVersion' });
    await gql('mutation { updateIdTag(input: { value: "BLK-1", status: ACCEPTED }) { userErrors { code } } }');
    await eventually(async () => (chargers.find((x) => x.id === CP_LIST)!.localList.get('BLK-1')?.status === 'Accepted' ? true : null), {
      what: 'the change at the list charger',
    });
    expect(cp.commandsReceived.map((c) => c.action)).toEqual(['GetLocalListVersion']);
  });

  it('YKC card starts (0x31) ask the same authority: a known card starts under a platform serial for its user, unknown and blocked cards are refused (0x32)', async () => {
    const pile = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo: PILE });
    piles.push(pile);
    await pile.connect();
    expect(await pile.login()).toBe(true);

    const yes = await pile.cardStart(1, 'A1B2C3D4');
    expect(yes).toMatchObject({ authorised: true, reason: 0, balanceX100: 15_000, pileNo: PILE, gunNo: '01', logicalCard: '0000000000000000' });
    expect(yes.serial).toMatch(new RegExp(`^${PILE}01\\d{12}\\d{4}$`));
    const [ev] = await eventually(async () => (started(PILE).length ? started(PILE) : null), { what: 'the card session on Kafka' });
    expect(ev.event).toMatchObject({
      tenantId,
      data: { connectorId: 1, transactionId: yes.serial, idTag: 'A1B2C3D4', userId: driverId, authorization: 'Accepted', trigger: 'LOCAL' },
    });

    expect(await pile.cardStart(2, 'DEADBEEF')).toMatchObject({ authorised: false, reason: 0x01, balanceX100: 0 });
    expect(await pile.cardStart(2, 'C0FFEE01')).toMatchObject({ authorised: false, reason: 0x02 });
    // Real-time data of the card session does not announce it a second time.
    pile.charge(1, 12_345);
    pile.reportRealTime(1);
    // Its meter values come after any session.started that report would have caused (one partition, in order).
    await eventually(async () => (received.some((r) => r.event.chargerId === PILE && r.event.type === 'session.meter_values') ? true : null), {
      what: 'the card session’s meter values',
    });
    expect(started(PILE)).toHaveLength(1);
  });
});

describe('id tags: when the authority cannot be reached (real sockets, Kafka, Postgres)', () => {
  const tenantId = randomUUID();
  const CP = 'IDTAG-DOWN-1';
  const PILE = '32010600019402';
  const authority = new InMemoryIdTagAuthority().set(tenantId, 'OK-1', { status: 'Accepted' });
  let bus: KafkaEventBus;
  let database: BridgeDatabase;
  let bridge: Bridge;
  let subscription: Subscription;
  let received: Received[];
  let cp: SimulatedChargePoint;
  let pile: SimulatedYkcPile;

  beforeAll(async () => {
    bus = new KafkaEventBus({ clientId: uniqueName('idtags-down'), brokers: await ensureKafka(), logger });
    const topic = uniqueName('idtags_down_events');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    database = await bridgeDatabase();
    bridge = createBridge({
      bus,
      directory: testDirectory({ [CP]: { tenantId, chargerId: randomUUID() }, [PILE]: { tenantId, chargerId: randomUUID() } }),
      idTags: authority,
      store: database.store,
      logger,
      config: bridgeConfig({ bridgeId: 'idtags-down', heartbeatIntervalS: 60, topic }),
    });
    const wsUrl = `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`;
    const ykcPort = await listenTcp(bridge.ykcServer);
    ({ received, subscription } = await collectEvents(bus, topic));
    cp = new SimulatedChargePoint({ url: wsUrl, id: CP, password: TEST_CHARGER_PASSWORD });
    await cp.connect();
    await cp.boot();
    pile = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo: PILE, replyTimeoutMs: 1500 });
    await pile.connect();
    expect(await pile.login()).toBe(true);
  });
  afterAll(async () => {
    await Promise.allSettled([cp?.close(), pile?.close()]);
    await bridge?.close();
    await subscription?.stop();
    await bus?.close();
    await database?.close();
  });

  it('Authorize fails closed (Invalid); StartTransaction is answered and published unchecked; StopTransaction leaves idTagInfo out; a card start gets no answer', async () => {
    expect((await cp.authorize('OK-1')).idTagInfo).toEqual({ status: 'Accepted' });
    authority.unavailable = true;
    expect((await cp.authorize('OK-1')).idTagInfo).toEqual({ status: 'Invalid' });
    const start = await cp.startTransaction(1, 'OK-1', 100);
    expect(start.idTagInfo).toEqual({ status: 'Accepted' });
    const [ev] = await eventually(
      async () => {
        const s = received.filter((r) => r.event.type === 'session.started');
        return s.length ? s : null;
      },
      { what: 'session.started' },
    );
    expect(ev.event.type === 'session.started' && 'authorization' in ev.event.data).toBe(false);
    expect(await cp.stopTransaction(start.transactionId, 900, { idTag: 'OK-1' })).toEqual({});
    await expect(pile.cardStart(1, 'A1B2C3D4')).rejects.toThrow(/no 0x32/);
    authority.unavailable = false;
  });
});
