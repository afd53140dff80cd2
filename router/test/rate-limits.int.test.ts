import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import {
  createKnex,
  createLogger,
  createSubgraphServer,
  generateSigningKey,
  KafkaEventBus,
  listen,
  TokenIssuer,
  TokenVerifier,
  type Knex,
  type SubgraphServer,
} from '@evcs/platform';
import { createTestDatabase, ensureKafka, uniqueName, type TestDatabase } from '@evcs/testkit';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AggregatingLimiter, migrations, RouterRateLimits, type RateLimitSettings } from '../src/rate-limits';
import { createRouter, type Router } from '../src/server';

jest.setTimeout(120_000);

const logger = createLogger('router-rate-limits', { level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const TENANT = '6f1c2a4e-0b7d-4c1e-9a55-3f2d8c9b1e70';

const SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  input LoginInput { tenantCode: String! username: String! password: String! }
  type Charger @key(fields: "id") { id: ID! }
  type Query { whoami: String chargerByCode(code: String!): Charger }
  type Mutation { login(input: LoginInput!): String refreshToken(refreshToken: String!): String }
`;

const SETTINGS: RateLimitSettings = {
  signInPerIp: { points: 6, durationSeconds: 600 },
  signInPerUsername: { points: 3, durationSeconds: 600 },
  refreshPerIp: { points: 3, durationSeconds: 600 },
  requestsPerIdentity: { points: 5, durationSeconds: 600 },
};

/** Two router instances, each with its own connection pool to the one database their counters are in. */
describe('router rate limits (real Postgres store, two instances)', () => {
  let db: TestDatabase;
  let owner: Knex;
  let subgraph: SubgraphServer;
  const calls = { login: 0, refresh: 0, whoami: 0 };
  const instances: { router: Router; port: number; bus: KafkaEventBus; knex: Knex }[] = [];
  let clientIssuer: TokenIssuer;

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    owner = createKnex({ connectionString: db.ownerUrl, schema: 'router', pool: { max: 1 } });
    const brokers = await ensureKafka();
    const routerKey = await generateSigningKey(uniqueName('router'));
    const clientKey = await generateSigningKey(uniqueName('client'));
    clientIssuer = new TokenIssuer(clientKey, 'evcs-tenants', 'evcs-api', 300);
    subgraph = await createSubgraphServer({
      name: 'tenants',
      schema: buildSubgraphSchema([
        {
          typeDefs: parse(SDL),
          resolvers: {
            Query: { whoami: () => (calls.whoami++, 'me'), chargerByCode: () => null },
            Mutation: { login: () => (calls.login++, 'token'), refreshToken: () => (calls.refresh++, 'fresh') },
          },
        },
      ]),
      verifier: new TokenVerifier({ keys: [routerKey.publicJwk] }, ['evcs-router']),
      logger,
      publicRootFields: ['login', 'refreshToken'],
      extendContext: (base) => base,
    });
    const subgraphUrl = `http://127.0.0.1:${await listen(subgraph.server, 0)}/graphql`;
    const composed = composeServices([{ name: 'tenants', typeDefs: parse(SDL), url: subgraphUrl }]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
    const topic = uniqueName('rl_charger_events');
    const accessTopic = uniqueName('rl_access_events');
    for (let i = 0; i < 2; i++) {
      const instanceId = uniqueName(`rl${i}`);
      const bus = new KafkaEventBus({ clientId: `router-${instanceId}`, brokers, logger, idempotent: false });
      await bus.ensureTopics([
        { topic, partitions: 1 },
        { topic: accessTopic, partitions: 1 },
      ]);
      const knex = createKnex({ connectionString: db.appUrl, schema: 'router', pool: { max: 2 } });
      const router = await createRouter({
        supergraphSdl: composed.supergraphSdl,
        clientVerifier: new TokenVerifier({ keys: [clientKey.publicJwk] }, ['evcs-tenants'], 'evcs-api'),
        internalIssuer: new TokenIssuer(routerKey, 'evcs-router'),
        bus,
        instanceId,
        logger,
        chargerEventsTopic: topic,
        accessEventsTopic: accessTopic,
        drainTimeoutMs: 500,
        // the test client stands in for the edge too: what it forwards is believed, as behind nginx
        trustedProxies: ['loopback'],
        rateLimits: RouterRateLimits.postgres(knex, SETTINGS),
      });
      instances.push({ router, port: await listen(router.httpServer, 0), bus, knex });
    }
    await Promise.all(instances.map((r) => r.router.ready));
  });

  afterAll(async () => {
    for (const r of instances) {
      await r.router.close().catch(() => undefined);
      await r.bus.close().catch(() => undefined);
      await r.knex.destroy();
    }
    await subgraph?.stop();
    await owner?.destroy();
    await db?.drop();
  });

  // every test starts with fresh counters (they are all from 127.0.0.1)
  beforeEach(async () => {
    await owner('rate_limits').del();
  });

  /** Alternates between the two instances: the limits must hold across them. */
  let turn = 0;
  async function post(body: unknown, token?: string, forwardedFor?: string) {
    const port = instances[turn++ % 2].port;
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { errors?: { extensions?: { code?: string } }[] } };
  }
  const signIn = (username: string, forwardedFor?: string) =>
    post(
      {
        query: 'mutation($i: LoginInput!) { login(input: $i) }',
        variables: { i: { tenantCode: 'OP-A', username, password: 'wrong password' } },
      },
      undefined,
      forwardedFor,
    );
  const expectRefused = (r: Awaited<ReturnType<typeof post>>) => {
    expect(r.status).toBe(429);
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(r.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
  };

  it('throttles rapid sign-ins from one client address, across instances, before they reach the tenants service', async () => {
    for (let i = 0; i < 6; i++) expect((await signIn(`user-${i}`)).status).toBe(200);
    const before = calls.login;
    expectRefused(await signIn('user-7'));
    expect(calls.login).toBe(before);
    // counted in the shared table, not in either instance's memory
    expect(await owner('rate_limits').where('key', 'like', 'signInPerIp:%').select('points')).toEqual([{ points: 7 }]);
  });

  it('behind the edge, counts each client address the edge forwards, not the edge itself', async () => {
    for (let i = 0; i < 6; i++) expect((await signIn(`edge-user-${i}`, '203.0.113.7')).status).toBe(200);
    expectRefused(await signIn('edge-user-7', '203.0.113.7'));
    // another client behind the same nginx still has its own budget
    expect((await signIn('edge-user-8', '203.0.113.8')).status).toBe(200);
  });

  it('throttles sign-ins for one username however they are spread, and not the other usernames', async () => {
    for (let i = 0; i < 3; i++) expect((await signIn('alice')).status).toBe(200);
    expectRefused(await signIn('alice'));
    expectRefused(await signIn('  ALICE ')); // the tenants service normalises usernames: so does the count
    expect((await signIn('bob')).status).toBe(200);
  });

  it('counts every aliased sign-in of one request', async () => {
    const aliased = Array.from({ length: 10 }, (_, i) => `a${i}: login(input: { tenantCode: "OP-A", username: "u${i}", password: "x" })`).join(' ');
    const before = calls.login;
    expectRefused(await post({ query: `mutation { ${aliased} }` }));
    expect(calls.login).toBe(before);
  });

  it('throttles token refreshes from one client address', async () => {
    for (let i = 0; i < 3; i++) expect((await post({ query: `mutation { refreshToken(refreshToken: "t${i}") }` })).status).toBe(200);
    expectRefused(await post({ query: 'mutation { refreshToken(refreshToken: "t9") }' }));
  });

  it('throttles the requests of one identity, and only that identity', async () => {
    const token = (subject: string) =>
      clientIssuer.issue({ subject, kind: 'user', tenantId: TENANT, roles: [], permissions: [], dataScope: 'TENANT', visibleTenantIds: [TENANT] });
    const alice = await token('alice-id');
    for (let i = 0; i < 5; i++) expect((await post({ query: '{ whoami }' }, alice)).status).toBe(200);
    expectRefused(await post({ query: '{ whoami }' }, alice));
    expect((await post({ query: '{ whoami }' }, await token('bob-id'))).status).toBe(200);
  });
});

/** The per-identity limit's local counting in front of the shared Postgres counters. */
describe('AggregatingLimiter (real Postgres store, two instances)', () => {
  let db: TestDatabase;
  let knexes: Knex[];
  const limit = { points: 300, durationSeconds: 600 };
  const store = (knex: Knex) =>
    new RateLimiterPostgres({
      storeClient: knex,
      storeType: 'knex',
      schemaName: 'router',
      tableName: 'rate_limits',
      tableCreated: true,
      keyPrefix: 'rpi',
      ...{ points: limit.points, duration: limit.durationSeconds },
    });

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knexes = [0, 1].map(() => createKnex({ connectionString: db.appUrl, schema: 'router', pool: { max: 2 } }));
  });
  afterAll(async () => {
    for (const k of knexes ?? []) await k.destroy();
    await db?.drop();
  });

  it('far from the limit, counts in memory and tells the store in one write per key and flush', async () => {
    const shared = store(knexes[0]);
    // a long interval: only the explicit flush below writes
    const limiter = new AggregatingLimiter(shared, limit, 60_000);
    for (let i = 0; i < 40; i++) await limiter.consume('alice');
    // the first request of the key was counted in the store at once, the 39 after it only here
    expect((await shared.get('alice'))?.consumedPoints).toBe(1);
    await limiter.flush();
    expect((await shared.get('alice'))?.consumedPoints).toBe(40);
  });

  it('holds the limit across instances to within one margin; near it every request is counted in the store; past it both refuse', async () => {
    const limiters = knexes.map((k) => new AggregatingLimiter(store(k), limit, 60_000));
    const margin = 60; // a fifth of 300
    const served = async (l: AggregatingLimiter) =>
      l.consume('bob').then(
        () => true,
        (e: unknown) => {
          expect(e).toBeInstanceOf(RateLimiterRes);
          return false;
        },
      );
    const outcomes: boolean[] = [];
    for (let i = 0; i < limit.points + 2 * margin; i++) outcomes.push(await served(limiters[i % 2]));
    // Neither instance ever flushed on its timer (the worst case: the other's points unknown for the
    // whole burst): the limit went through, and at most one margin more (what the other counted here).
    const n = outcomes.filter(Boolean).length;
    expect(n).toBeGreaterThanOrEqual(limit.points);
    expect(n).toBeLessThanOrEqual(limit.points + margin);
    expect(outcomes.slice(0, limit.points).every(Boolean)).toBe(true);
    // once they have told the store (their timers), both refuse
    for (const l of limiters) await l.flush();
    expect(await served(limiters[0])).toBe(false);
    expect(await served(limiters[1])).toBe(false);
  });
});
