import { randomUUID } from 'node:crypto';
import { createAssetsServer, migrations as assetsMigrations, StaticTenantQuotas } from '@evcs/assets';
import {
  createKnex,
  createLogger,
  generateSigningKey,
  KafkaEventBus,
  Knex,
  listen,
  ServiceGraphQLClient,
  SubgraphServer,
  Subscription,
  TokenIssuer,
  withTenant,
  internalTokenVerifier,
  issuerBoundJwks,
} from '@evcs/platform';
import { createTestDatabase, ensureKafka, eventually, TestDatabase, uniqueName } from '@evcs/testkit';
import { UnexpectedHttpResponse } from 'ocpp-rpc';
import { bridgeConfig } from '../src/config';
import { GraphQLSecurityRecorder } from '../src/connections/charger-security';
import { GraphQLChargerDirectory } from '../src/directory';
import { migrations as bridgeMigrations } from '../src/persistence/schema';
import { PgBridgeStore } from '../src/persistence/pg-store';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint, SimulatedYkcPile } from '../src/simulator';
import { simulatedPileIdentity } from '../src/simulator/ykc-pile';
import { collectEvents, listenTcp, Received } from './support';

/**
 * Anyone can be any charger — the attack, against the real bridge (WebSocket,
 * TCP), the real assets subgraph (over HTTP, Postgres with RLS) and Kafka.
 * Tenant A operates the victim chargers, registered through the assets API
 * (which hands out the OCPP password once and keeps its hash). An attacker with
 * a tenant of its own (B) and every charger id and pile number of A tries: no
 * password, a wrong one, its own charger's password under A's id, taking over a
 * connected charger, and YKC logins that don't carry the pile's identity or
 * come from elsewhere while the pile is connected.
 */
describe('charger impersonation (real bridge, assets, Kafka, Postgres)', () => {
  const logger = createLogger('impersonation-test', { level: (process.env.LOG_LEVEL as 'silent') ?? 'silent' });
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const VICTIM = `VICTIM-${randomUUID().slice(0, 8)}`;
  const ATTACKER = `ATTACKER-${randomUUID().slice(0, 8)}`;
  const COMMISSIONING = `NEW-${randomUUID().slice(0, 8)}`;
  const PILE = `3201${String(Date.now()).slice(-10)}`;
  const NEW_PILE = `3202${String(Date.now()).slice(-10)}`;
  const topic = uniqueName('impersonation_events');
  let db: TestDatabase;
  let assetsKnex: Knex;
  let assets: SubgraphServer;
  let assetsUrl: string;
  let router: TokenIssuer;
  let bus: KafkaEventBus;
  let store: PgBridgeStore;
  let bridge: Bridge;
  let url: string;
  let ykcPort: number;
  let received: Received[];
  let subscription: Subscription;
  const passwords: Record<string, string> = {};
  const chargerIds: Record<string, string> = {};
  const cps: SimulatedChargePoint[] = [];
  const piles: SimulatedYkcPile[] = [];

  const admin = (tenantId: string) =>
    router.issue({
      subject: `admin-${tenantId.slice(0, 8)}`,
      kind: 'user',
      tenantId,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['station:read', 'station:write', 'charger:write', 'audit:read'],
      dataScope: 'TENANT',
    });

  async function gql<T = any>(tenantId: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(assetsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await admin(tenantId)}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  const CREATE = `mutation($input: CreateChargerInput!) { createCharger(input: $input) { charger { id code } credential { password securityProfile } userErrors { code field message } } }`;
  async function register(tenantId: string, stationId: string, code: string, extra: Record<string, unknown> = {}) {
    const d = await gql(tenantId, CREATE, {
      input: { stationId, code, protocol: /^\d{14}$/.test(code) ? 'YKC' : 'OCPP16', currentType: 'DC', ratedPowerKw: '60', ...extra },
    });
    expect(d.createCharger.userErrors).toEqual([]);
    chargerIds[code] = d.createCharger.charger.id;
    if (d.createCharger.credential) passwords[code] = d.createCharger.credential.password;
    return d.createCharger;
  }

  const cp = (id: string, password?: string, wsOpts?: Record<string, unknown>) => {
    const c = new SimulatedChargePoint({ url, id, password, wsOpts });
    cps.push(c);
    return c;
  };
  const pile = (pileNo: string, opts: Partial<ConstructorParameters<typeof SimulatedYkcPile>[0]> = {}) => {
    const p = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo, replyTimeoutMs: 1500, ...opts });
    piles.push(p);
    return p;
  };
  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 'connected',
      (e: unknown) => (e instanceof UnexpectedHttpResponse ? e.code : String(e)),
    );
  const refusedCount = (protocol: 'OCPP16' | 'YKC', reason: string) => bridge.diagnostics.metrics.get(protocol, `refused_${reason}`);
  const audit = async (tenantId: string) =>
    (await gql(tenantId, '{ assetAuditLog(first: 100) { action target after } }')).assetAuditLog as {
      action: string;
      target: string;
      after: Record<string, unknown> | null;
    }[];
  const eventsOf = (code: string, type: string) => received.filter((r) => r.event.chargerId === code && r.event.type === type);

  beforeAll(async () => {
    db = await createTestDatabase([assetsMigrations, bridgeMigrations]);
    assetsKnex = createKnex({ connectionString: db.appUrl, schema: 'assets', pool: { max: 4 } });
    store = new PgBridgeStore(createKnex({ connectionString: db.appUrl, schema: 'bridge', pool: { max: 4 } }));
    const routerKey = await generateSigningKey('router-k');
    const bridgeKey = await generateSigningKey('bridge-k');
    router = new TokenIssuer(routerKey, 'evcs-router');
    assets = await createAssetsServer({
      knex: assetsKnex,
      verifier: internalTokenVerifier(issuerBoundJwks({ 'evcs-router': [routerKey.publicJwk], 'evcs-bridge': [bridgeKey.publicJwk] })),
      quotas: new StaticTenantQuotas('unlimited'),
      logger,
    });
    assetsUrl = `http://127.0.0.1:${await listen(assets.server, 0)}/graphql`;
    bus = new KafkaEventBus({ clientId: uniqueName('impersonation'), brokers: await ensureKafka(), logger });
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    ({ received, subscription } = await collectEvents(bus, topic));

    const station = async (tenantId: string) =>
      (
        await gql(tenantId, 'mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } } }', {
          i: { code: `S-${randomUUID().slice(0, 6)}`, name: 'Site' },
        })
      ).createStation.station.id as string;
    const [sa, sb] = [await station(tenantA), await station(tenantB)];
    await register(tenantA, sa, VICTIM);
    await register(tenantA, sa, PILE, { security: { ykcIdentity: simulatedPileIdentity(PILE) } });
    await register(tenantB, sb, ATTACKER);
    await register(tenantB, sb, COMMISSIONING, { security: { securityProfile: 0 } });
    await register(tenantB, sb, NEW_PILE);

    const client = new ServiceGraphQLClient({ url: assetsUrl, tokens: new TokenIssuer(bridgeKey, 'evcs-bridge'), subject: 'protocol-bridge' });
    bridge = createBridge({
      bus,
      // A short cache, so the test sees a rotation applied without waiting the production 10 s.
      directory: new GraphQLChargerDirectory(client, { positiveTtlMs: 500, negativeTtlMs: 100 }),
      security: new GraphQLSecurityRecorder(client, logger, 0),
      logger,
      store,
      config: bridgeConfig({ bridgeId: uniqueName('imp'), heartbeatIntervalS: 60, topic }),
    });
    url = `ws://127.0.0.1:${await listen(bridge.httpServer, 0)}/ocpp`;
    ykcPort = await listenTcp(bridge.ykcServer);
  });

  afterAll(async () => {
    await Promise.allSettled([...cps.map((c) => c.close()), ...piles.map((p) => p.close())]);
    await bridge?.close();
    await subscription?.stop();
    await bus?.close();
    await assets?.stop();
    await assetsKnex?.destroy();
    await store?.close();
    await db?.drop();
  });

  it('registering an OCPP charger returns its password once; assets keeps only a hash', async () => {
    expect(passwords[VICTIM]).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const d = await gql(tenantA, `query($id: ID!) { charger(id: $id) { security { securityProfile hasPassword passwordSetAt } } }`, { id: chargerIds[VICTIM] });
    expect(d.charger.security).toMatchObject({ securityProfile: 1, hasPassword: true });
    const { rows } = await withTenant(assetsKnex, tenantA, (trx) =>
      trx.raw<{ rows: { password_hash: string }[] }>('select password_hash from assets.charger_security where charger_id = ?', [chargerIds[VICTIM]]),
    );
    expect(rows[0].password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(rows[0].password_hash).not.toContain(passwords[VICTIM]);
  });

  it("refuses the victim's id with no password, a wrong one, and the attacker's own charger's password (401)", async () => {
    expect(await statusOf(cp(VICTIM).connect())).toBe(401);
    expect(await statusOf(cp(VICTIM, 'not-the-password-of-this-one').connect())).toBe(401);
    expect(await statusOf(cp(VICTIM, passwords[ATTACKER]).connect())).toBe(401);
    // The attacker's own charger gets in with its own password: the credential is per charger.
    expect(await statusOf(cp(ATTACKER, passwords[ATTACKER]).connect())).toBe('connected');
    expect(await refusedCount('OCPP16', 'no_password')).toBe(1);
    expect(await refusedCount('OCPP16', 'wrong_password')).toBe(2);
    // Nothing of the refused connections reached the platform: no connected event, so no session could follow.
    await eventually(async () => eventsOf(ATTACKER, 'charger.connected').length === 1, { what: "the attacker's own charger connected" });
    expect(eventsOf(VICTIM, 'charger.connected')).toHaveLength(0);
    const log = await audit(tenantA);
    expect(log.filter((e) => e.action === 'CHARGER_LOGIN_REFUSED' && e.target === `charger:${chargerIds[VICTIM]}`).map((e) => e.after?.reason)).toEqual(
      expect.arrayContaining(['no_password', 'wrong_password']),
    );
  });

  it('a takeover attempt without the credential leaves the real charger connected; its own reconnection takes over, logged and counted', async () => {
    const real = cp(VICTIM, passwords[VICTIM]);
    await real.connect();
    expect((await real.boot()).status).toBe('Accepted');
    expect(await statusOf(cp(VICTIM, 'guessing-guessing-guessing', { localAddress: '127.0.0.2' }).connect())).toBe(401);
    expect(await statusOf(cp(VICTIM, undefined, { localAddress: '127.0.0.2' }).connect())).toBe(401);
    // Still the real one's connection: it is answered.
    await real.heartbeat();
    expect(real.isOpen).toBe(true);
    expect(await bridge.diagnostics.metrics.get('OCPP16', 'connection_takeover')).toBe(0);

    const again = cp(VICTIM, passwords[VICTIM]);
    await again.connect();
    await eventually(async () => !real.isOpen, { what: 'the older connection closed after the authenticated takeover' });
    expect((await again.boot()).status).toBe('Accepted');
    expect(await bridge.diagnostics.metrics.get('OCPP16', 'connection_takeover')).toBe(1);
  });

  it('a rotated credential applies at once (within the 1 s refresh interval); the old password stops working', async () => {
    const d = await gql(
      tenantA,
      'mutation($id: ID!) { rotateChargerCredential(chargerId: $id) { credential { password securityProfile } userErrors { code } } }',
      { id: chargerIds[VICTIM] },
    );
    const fresh = d.rotateChargerCredential.credential.password as string;
    expect(fresh).not.toBe(passwords[VICTIM]);
    // At once, or within the refresh interval (1 s per charger) when a refused attempt just asked assets.
    await eventually(async () => (await statusOf(cp(VICTIM, fresh).connect())) === 'connected', {
      what: 'the rotated password accepted',
      timeoutMs: 2_500,
      intervalMs: 250,
    });
    await new Promise((r) => setTimeout(r, 600)); // this test's cache TTL (production: 10 s)
    expect(await statusOf(cp(VICTIM, passwords[VICTIM]).connect())).toBe(401);
    // Another tenant cannot rotate A's charger: it is not found in B.
    const foreign = await gql(tenantB, 'mutation($id: ID!) { rotateChargerCredential(chargerId: $id) { credential { password } userErrors { code } } }', {
      id: chargerIds[VICTIM],
    });
    expect(foreign.rotateChargerCredential).toEqual({ credential: null, userErrors: [{ code: 'NOT_FOUND' }] });
    passwords[VICTIM] = fresh;
  });

  it('a charger without a password is refused until its tenant allows profile-0 commissioning, which is audited; it then boots Pending', async () => {
    expect(await statusOf(cp(COMMISSIONING).connect())).toBe(401);
    expect(await refusedCount('OCPP16', 'no_credential')).toBe(1);
    await gql(
      tenantB,
      'mutation { setChargerSecurityPolicy(input: { allowProfile0Commissioning: true }) { policy { allowProfile0Commissioning } userErrors { code } } }',
    );
    await new Promise((r) => setTimeout(r, 600));
    const c = cp(COMMISSIONING);
    await c.connect();
    expect((await c.boot()).status).toBe('Pending');
    const log = await audit(tenantB);
    expect(log.find((e) => e.action === 'CHARGER_SECURITY_POLICY_CHANGED')?.after).toMatchObject({ allowProfile0Commissioning: true });
    // The policy is the tenant's: A's chargers still need their passwords.
    expect(await statusOf(cp(VICTIM).connect())).toBe(401);
  });

  it('a YKC login that does not carry the pile identity is refused, counted and audited; the real pile gets in', async () => {
    const forged = pile(PILE, { identity: { sim: '89860000000000000001' } });
    await forged.connect();
    expect(await forged.login()).toBe(false);
    expect(await refusedCount('YKC', 'identity_mismatch')).toBe(1);
    const real = pile(PILE);
    await real.connect();
    expect(await real.login()).toBe(true);
    await eventually(async () => eventsOf(PILE, 'charger.connected').length === 1, { what: 'the real pile connected' });
    await eventually(async () => (await audit(tenantA)).some((e) => e.action === 'CHARGER_LOGIN_REFUSED' && e.after?.reason === 'identity_mismatch'), {
      what: 'the refusal audited',
    });
    const entry = (await audit(tenantA)).find((e) => e.after?.reason === 'identity_mismatch');
    expect(entry?.after).toMatchObject({ fields: ['sim'], seen: { sim: '89860000000000000001' } });
  });

  it('a second login of a connected pile from another address is refused, even with the right identity', async () => {
    const second = pile(PILE, { localAddress: '127.0.0.2' });
    await second.connect();
    expect(await second.login()).toBe(false);
    expect(await refusedCount('YKC', 'already_connected')).toBe(1);
    expect(eventsOf(PILE, 'charger.connected')).toHaveLength(1);
    // The real pile's connection is untouched.
    const live = piles.find((p) => p.isOpen && p !== second && p.identity.sim === simulatedPileIdentity(PILE).sim);
    expect(live).toBeDefined();
    await live!.heartbeat();
  });

  it('a pile without a registered identity is refused, unless its tenant learns it at the first login — then it is enforced', async () => {
    const early = pile(NEW_PILE);
    await early.connect();
    expect(await early.login()).toBe(false);
    expect(await refusedCount('YKC', 'identity_not_registered')).toBe(1);
    await gql(tenantB, 'mutation { setChargerSecurityPolicy(input: { learnYkcIdentityOnFirstLogin: true }) { policy { learnYkcIdentityOnFirstLogin } } }');
    await new Promise((r) => setTimeout(r, 600));
    const first = pile(NEW_PILE);
    await first.connect();
    expect(await first.login()).toBe(true);
    const d = await gql(tenantB, `query($id: ID!) { charger(id: $id) { security { ykcIdentity { sim guns } ykcIdentitySource } } }`, {
      id: chargerIds[NEW_PILE],
    });
    expect(d.charger.security).toEqual({ ykcIdentity: { sim: simulatedPileIdentity(NEW_PILE).sim, guns: 2 }, ykcIdentitySource: 'LEARNED' });
    expect((await audit(tenantB)).some((e) => e.action === 'YKC_IDENTITY_LEARNED')).toBe(true);
    await first.close();
    await new Promise((r) => setTimeout(r, 600));
    const other = pile(NEW_PILE, { identity: { sim: '89860000000000000002' } });
    await other.connect();
    expect(await other.login()).toBe(false);
    expect(await refusedCount('YKC', 'identity_mismatch')).toBe(2);
  });
});
