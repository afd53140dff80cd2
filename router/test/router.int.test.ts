import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import { parse, type FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { decodeJwt } from 'jose';
import { ACCESS_EVENTS_TOPIC_CONFIG, encodeAccessEvent, encodeChargerEvent, type AccessRevoked, type ChargerEventOf } from '@evcs/events';
import {
  bearer,
  closeServer,
  createLogger,
  executeApollo,
  generateSigningKey,
  KafkaEventBus,
  listen,
  readJsonBody,
  sendHttpError,
  sendJson,
  TokenIssuer,
  TokenVerifier,
  type EventBus,
  type Identity,
} from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { createRouter, type Router } from '../src/server';

jest.setTimeout(120_000);

const logger = createLogger('router-int', { level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const T1 = randomUUID();
const T2 = randomUUID();

// ---------------------------------------------------------------------------
// A tiny real federated subgraph: verifies the router's internal token and
// records what it saw. Chargers are per tenant, as in the assets subgraph.
// ---------------------------------------------------------------------------
const SUBGRAPH_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Charger @key(fields: "id") { id: ID! code: String! name: String! peer: Charger }
  type Query {
    chargerByCode(code: String!): Charger
    whoami: String
    slowWhoami: String
  }
  type Mutation {
    login(email: String!): String
    rename(name: String!): String
  }
`;

interface Seen {
  identity: Identity | null;
  headers: http.IncomingHttpHeaders;
  query: string;
}

interface SubgraphCtx {
  identity: Identity | null;
}

async function startAssetsLikeSubgraph(verifier: TokenVerifier) {
  const chargers = new Map<string, { id: string; code: string; name: string }>([
    [`${T1}:CP-1`, { id: 'c-t1-1', code: 'CP-1', name: 'Tenant one, charger one' }],
    [`${T2}:CP-9`, { id: 'c-t2-9', code: 'CP-9', name: 'Tenant two, charger nine' }],
  ]);
  const schema = buildSubgraphSchema([
    {
      typeDefs: parse(SUBGRAPH_SDL),
      resolvers: {
        Query: {
          chargerByCode: (_: unknown, { code }: { code: string }, ctx: SubgraphCtx) =>
            ctx.identity?.tenantId ? (chargers.get(`${ctx.identity.tenantId}:${code}`) ?? null) : null,
          whoami: (_: unknown, __: unknown, ctx: SubgraphCtx) => (ctx.identity ? `${ctx.identity.subject}@${ctx.identity.tenantId}` : null),
          // slow enough that requests sent together are in flight together
          slowWhoami: async (_: unknown, __: unknown, ctx: SubgraphCtx) => {
            await new Promise((r) => setTimeout(r, 300));
            return ctx.identity ? `${ctx.identity.subject}@${ctx.identity.tenantId}` : null;
          },
        },
        Mutation: {
          login: (_: unknown, { email }: { email: string }) => `token-for-${email}`,
          rename: (_: unknown, { name }: { name: string }) => name,
        },
        Charger: {
          __resolveReference: (ref: { id: string }) => [...chargers.values()].find((c) => c.id === ref.id) ?? null,
          peer: (c: unknown) => c,
        },
      } as any,
    },
  ]);
  const apollo = new ApolloServer<SubgraphCtx>({ schema, logger });
  await apollo.start();
  const seen: Seen[] = [];
  const health = { live: true };
  const server = http.createServer((req, res) => {
    // its liveness probe, which the router's readiness asks for
    if (req.url === '/health/live') return sendJson(res, health.live ? 200 : 503, { status: health.live ? 'ok' : 'down' });
    void (async () => {
      try {
        const body = (await readJsonBody(req)) as { query?: string } | undefined;
        const token = bearer(req.headers.authorization);
        let identity: Identity | null = null;
        if (token) {
          identity = await verifier.verify(token).catch(() => {
            throw Object.assign(new Error('bad internal token'), { status: 401, code: 'UNAUTHENTICATED' });
          });
        }
        seen.push({ identity, headers: req.headers, query: body?.query ?? '' });
        await executeApollo(apollo, req, res, body, { identity });
      } catch (e) {
        sendHttpError(res, e);
      }
    })();
  });
  const port = await listen(server, 0);
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    seen,
    health,
    stop: async () => {
      await closeServer(server);
      await apollo.stop();
    },
  };
}

// ---------------------------------------------------------------------------

function supergraphFor(): string {
  // The URL in the supergraph is deliberately dead: the router must use the override.
  const result = composeServices([{ name: 'assets', typeDefs: parse(SUBGRAPH_SDL), url: 'http://127.0.0.1:9/graphql' }]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

async function post(port: number, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

function statusEvent(
  tenantId: string,
  chargerId: string,
  status: ChargerEventOf<'connector.status_changed'>['data']['status'],
): ChargerEventOf<'connector.status_changed'> {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    version: 1,
    type: 'connector.status_changed',
    tenantId,
    chargerId,
    occurredAt: now,
    receivedAt: now,
    source: { protocol: 'SIMULATED', bridgeId: 'test' },
    data: { connectorId: 1, status, errorCode: 'NoError' },
  };
}

/** A graphql-ws subscription whose results are collected for assertions. */
function collect(client: Client, query: string, variables?: Record<string, unknown>) {
  const results: FormattedExecutionResult<any, any>[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const dispose = client.subscribe(
    { query, variables },
    { next: (r) => void results.push(r), error: (e) => void errors.push(e), complete: () => void (completed = true) },
  );
  return { results, errors, dispose, isCompleted: () => completed };
}

const SUBSCRIPTION = `subscription S($code: String) {
  connectorStatusChanged(chargerCode: $code) {
    eventId chargerCode connectorNo status errorCode occurredAt
    charger { name theCode: code }
  }
}`;

describe('router (real gateway, real subgraph, real Kafka)', () => {
  let subgraph: Awaited<ReturnType<typeof startAssetsLikeSubgraph>>;
  let routers: { router: Router; port: number; bus: KafkaEventBus }[] = [];
  let publisher: KafkaEventBus;
  let clientIssuer: TokenIssuer;
  let clientKeyForTests: Awaited<ReturnType<typeof generateSigningKey>>;
  let clientVerifierForTests: TokenVerifier;
  let supergraphForTests: string;
  let topic: string;
  let accessTopic: string;
  let brokersForTests: string[];
  const clients: Client[] = [];

  const tokenFor = (subject: string, tenantId: string | null) =>
    clientIssuer.issue({ subject, kind: tenantId ? 'user' : 'service', tenantId, roles: ['operator'], permissions: ['station:read'], dataScope: 'TENANT' });

  const wsClient = async (port: number, token: string | null) => {
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const brokers = await ensureKafka();
    const clientKey = await generateSigningKey(uniqueName('client'));
    const routerKey = await generateSigningKey(uniqueName('router'));
    clientKeyForTests = clientKey;
    clientIssuer = new TokenIssuer(clientKey, 'evcs-tenants', 'evcs-api', 300);
    const clientVerifier = new TokenVerifier({ keys: [clientKey.publicJwk] }, ['evcs-tenants'], 'evcs-api');
    clientVerifierForTests = clientVerifier;
    const internalIssuer = new TokenIssuer(routerKey, 'evcs-router');
    subgraph = await startAssetsLikeSubgraph(new TokenVerifier({ keys: [routerKey.publicJwk] }, ['evcs-router'], 'evcs-subgraphs'));

    topic = uniqueName('router_charger_events');
    accessTopic = uniqueName('router_access_events');
    brokersForTests = brokers;
    publisher = new KafkaEventBus({ clientId: uniqueName('router-test-pub'), brokers, logger });
    // One partition: the test relies on events arriving in publish order.
    await publisher.ensureTopics([
      { topic, partitions: 1 },
      { topic: accessTopic, partitions: 3, config: ACCESS_EVENTS_TOPIC_CONFIG },
    ]);

    const supergraphSdl = supergraphFor();
    supergraphForTests = supergraphSdl;
    for (let i = 0; i < 2; i++) {
      const instanceId = uniqueName(`it${i}`);
      const bus = new KafkaEventBus({ clientId: `router-${instanceId}`, brokers, logger, idempotent: false });
      const router = await createRouter({
        supergraphSdl,
        subgraphUrls: { assets: subgraph.url },
        clientVerifier,
        internalIssuer,
        bus,
        instanceId,
        logger: logger.child({ instanceId }),
        chargerEventsTopic: topic,
        accessEventsTopic: accessTopic,
        drainTimeoutMs: 1000,
      });
      const port = await listen(router.httpServer, 0);
      routers.push({ router, port, bus });
    }
    await Promise.all(routers.map((r) => r.router.ready));
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map(async (c) => c.dispose()));
    await Promise.allSettled(routers.map((r) => r.router.close()));
    await Promise.allSettled(routers.map((r) => r.bus.close()));
    await publisher?.close();
    await subgraph?.stop();
  });

  describe('HTTP', () => {
    it('answers health probes', async () => {
      const port = routers[0].port;
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', service: 'router', failing: [], checks: { started: 'ok', subgraphs: 'ok' } });
      expect((await fetch(`http://127.0.0.1:${port}/health/ready/`)).status).toBe(404);
    });

    it('is not ready while a subgraph is unreachable, and says which', async () => {
      const port = routers[0].port;
      subgraph.health.live = false;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ status: 'not-ready', failing: ['subgraphs'], checks: { subgraphs: 'not reachable: assets (HTTP 503)' } });
      } finally {
        subgraph.health.live = true;
      }
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    });

    it('rejects a query without a token with 401 UNAUTHENTICATED, and never reaches the subgraph', async () => {
      const before = subgraph.seen.length;
      const r = await post(routers[0].port, { query: '{ whoami }' }, { 'x-tenant-id': T1, 'x-user-id': 'admin' });
      expect(r.status).toBe(401);
      expect(r.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(subgraph.seen.length).toBe(before);
    });

    it('echoes the request id on every answer, refusals included; a malformed one is replaced', async () => {
      const refused = await fetch(`http://127.0.0.1:${routers[0].port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'client-req-42' },
        body: JSON.stringify({ query: '{ whoami }' }),
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('x-request-id')).toBe('client-req-42');
      const odd = await fetch(`http://127.0.0.1:${routers[0].port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'has spaces and ; semicolons' },
        body: JSON.stringify({ query: '{ whoami }' }),
      });
      expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("reports nothing to Apollo: the gateway's usage exporter is off unless the operator turns it on", () => {
      expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
    });

    it('rejects an invalid token', async () => {
      const r = await post(routers[0].port, { query: '{ whoami }' }, { authorization: 'Bearer not.a.token' });
      expect(r.status).toBe(401);
      expect(r.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('lets public root fields through without a token, anonymously; the request id and client address travel signed, not as headers', async () => {
      const r = await post(
        routers[0].port,
        { query: 'mutation { login(email: "a@b.c") }' },
        { 'x-request-id': 'client-req-9', 'x-forwarded-for': '203.0.113.5' },
      );
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ login: 'token-for-a@b.c' });
      const last = subgraph.seen[subgraph.seen.length - 1];
      // the anonymous identity: a public operation still reaches the subgraph with the router's token
      expect(last.identity).toEqual(expect.objectContaining({ subject: 'anonymous', tenantId: null, permissions: [] }));
      const claims = decodeJwt(bearer(last.headers.authorization)!);
      expect(claims).toMatchObject({ iss: 'evcs-router', rid: 'client-req-9', cip: '127.0.0.1' });
      expect(last.headers['x-request-id']).toBeUndefined();
      expect(last.headers['x-evcs-client-ip']).toBeUndefined();

      // One non-public root field beside a public one makes the whole operation need a token.
      const mixed = await post(routers[0].port, { query: 'mutation { login(email: "a@b.c") rename(name: "x") }' });
      expect(mixed.status).toBe(401);
    });

    it('forwards only the verified identity: forged identity headers are dropped', async () => {
      const token = await tokenFor('user-1', T1);
      const r = await post(
        routers[0].port,
        { query: '{ whoami }' },
        { authorization: `Bearer ${token}`, 'x-tenant-id': T2, 'x-user-id': 'admin', 'x-roles': 'superuser' },
      );
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ whoami: `user-1@${T1}` });
      const last = subgraph.seen[subgraph.seen.length - 1];
      expect(last.identity).toEqual(expect.objectContaining({ subject: 'user-1', tenantId: T1, roles: ['operator'] }));
      expect(last.headers['x-tenant-id']).toBeUndefined();
      expect(last.headers['x-user-id']).toBeUndefined();
      expect(last.headers['x-roles']).toBeUndefined();
      // The client's own token is not forwarded either: the subgraph gets the router's.
      expect(last.headers.authorization).not.toBe(`Bearer ${token}`);
    });

    it("signs a query's token once per identity and client address (address signed, request id beside it); a mutation's per request", async () => {
      const h = { authorization: `Bearer ${await tokenFor('user-tokens', T1)}` };
      const before = subgraph.seen.length;
      for (const rid of ['q-1', 'q-2']) await post(routers[0].port, { query: '{ whoami }' }, { ...h, 'x-request-id': rid });
      const [q1, q2] = subgraph.seen.slice(before);
      expect(q1.headers.authorization).toBe(q2.headers.authorization);
      const claims = decodeJwt(bearer(q1.headers.authorization)!);
      expect(claims).toMatchObject({ iss: 'evcs-router', sub: 'user-tokens', cip: '127.0.0.1' });
      expect(claims.rid).toBeUndefined();
      expect([q1.headers['x-evcs-request-id'], q2.headers['x-evcs-request-id']]).toEqual(['q-1', 'q-2']);
      // a client cannot send it itself: x-evcs-* headers are dropped
      await post(routers[0].port, { query: 'mutation { rename(name: "a") }' }, { ...h, 'x-request-id': 'm-1', 'x-evcs-request-id': 'forged' });
      const m = subgraph.seen[subgraph.seen.length - 1];
      expect(decodeJwt(bearer(m.headers.authorization)!)).toMatchObject({ rid: 'm-1', cip: '127.0.0.1' });
      expect(m.headers['x-evcs-request-id']).toBeUndefined();
    });

    it('shares one subgraph fetch between identical queries of one identity in flight together; never between identities or for mutations', async () => {
      const alice = { authorization: `Bearer ${await tokenFor('alice-dedupe', T1)}` };
      const bob = { authorization: `Bearer ${await tokenFor('bob-dedupe', T1)}` };
      const before = subgraph.seen.length;
      const answers = await Promise.all([
        ...[1, 2, 3, 4].map(() => post(routers[0].port, { query: '{ slowWhoami }' }, alice)),
        post(routers[0].port, { query: '{ slowWhoami }' }, bob),
      ]);
      expect(answers.map((a) => a.body.data?.slowWhoami)).toEqual([...Array(4).fill(`alice-dedupe@${T1}`), `bob-dedupe@${T1}`]);
      const fetched = subgraph.seen.slice(before).map((s) => s.identity?.subject);
      expect(fetched.filter((s) => s === 'alice-dedupe')).toHaveLength(1);
      expect(fetched.filter((s) => s === 'bob-dedupe')).toHaveLength(1);
      // the header that asks for sharing never leaves the router
      expect(subgraph.seen.slice(before).every((s) => s.headers['x-evcs-router-dedupe'] === undefined)).toBe(true);

      const mBefore = subgraph.seen.length;
      await Promise.all([1, 2, 3].map(() => post(routers[0].port, { query: 'mutation { rename(name: "same") }' }, alice)));
      expect(subgraph.seen.length - mBefore).toBe(3);
    });

    it("resolves tenant data with the caller's tenant", async () => {
      const r1 = await post(routers[1].port, { query: '{ chargerByCode(code: "CP-1") { id name } }' }, { authorization: `Bearer ${await tokenFor('u', T1)}` });
      expect(r1.body.data).toEqual({ chargerByCode: { id: 'c-t1-1', name: 'Tenant one, charger one' } });
      const r2 = await post(routers[1].port, { query: '{ chargerByCode(code: "CP-1") { id name } }' }, { authorization: `Bearer ${await tokenFor('u', T2)}` });
      expect(r2.body.data).toEqual({ chargerByCode: null });
    });
  });

  describe('subgraph failures', () => {
    // These only exercise HTTP, so the router gets an idle in-memory bus.
    const idleBus: EventBus = {
      publish: async () => undefined,
      ensureTopics: async () => undefined,
      close: async () => undefined,
      subscribe: async () => ({ ready: Promise.resolve(), stop: async () => undefined }),
    };
    const withRouter = async (over: { subgraphUrl?: string; issuer?: TokenIssuer }, fn: (port: number) => Promise<void>) => {
      const router = await createRouter({
        supergraphSdl: supergraphForTests,
        subgraphUrls: { assets: over.subgraphUrl ?? subgraph.url },
        clientVerifier: clientVerifierForTests,
        internalIssuer: over.issuer ?? new TokenIssuer(await generateSigningKey('unknown-to-subgraph'), 'evcs-router'),
        bus: idleBus,
        instanceId: uniqueName('idle'),
        logger,
      });
      const port = await listen(router.httpServer, 0);
      try {
        await fn(port);
      } finally {
        await router.close();
      }
    };

    it('reports an unreachable subgraph as DEPENDENCY_UNAVAILABLE (retriable)', async () => {
      await withRouter({ subgraphUrl: 'http://127.0.0.1:9/graphql' }, async (port) => {
        const r = await post(port, { query: '{ whoami }' }, { authorization: `Bearer ${await tokenFor('u', T1)}` });
        expect(r.body.errors?.[0].extensions).toEqual(expect.objectContaining({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true }));
      });
    });

    it("masks a subgraph's rejection of the router token, without leaking the subgraph URL", async () => {
      await withRouter({}, async (port) => {
        const r = await post(port, { query: '{ whoami }' }, { authorization: `Bearer ${await tokenFor('u', T1)}` });
        expect(r.body.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
        expect(JSON.stringify(r.body)).not.toContain(subgraph.url);
      });
    });
  });

  describe('operation limits (defaults), HTTP and graphql-ws alike', () => {
    const nested = (levels: number, inner: string) => `${'peer { '.repeat(levels)}${inner}${' }'.repeat(levels)}`;
    const deep = `{ chargerByCode(code: "CP-1") { ${nested(50, 'id')} } }`;
    const aliased = `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: whoami`).join(' ')} }`;
    const manyDirectives = `{ whoami ${'@include(if: true) '.repeat(30)}}`;
    const manyTokens = `{ ${'__typename '.repeat(2500)}}`;
    // nine levels, each multiplying its children's cost by 1.5, over 1,500 scalars: ~57,700 > 50,000
    const costly = `{ chargerByCode(code: "CP-1") { ${nested(8, 'id code name '.repeat(500))} } }`;
    const cases: [string, string, string][] = [
      ['50 levels deep', deep, 'MAX_DEPTH_EXCEEDED'],
      ['500 aliases', aliased, 'MAX_ALIASES_EXCEEDED'],
      ['30 directives', manyDirectives, 'MAX_DIRECTIVES_EXCEEDED'],
      ['2,500 tokens', manyTokens, 'MAX_TOKENS_EXCEEDED'],
      ['a cost past the bound', costly, 'MAX_COST_EXCEEDED'],
    ];

    it.each(cases)('refuses a query %s over HTTP with 400 and its code, before any subgraph is called', async (_what, query, code) => {
      const before = subgraph.seen.length;
      const r = await post(routers[0].port, { query }, { authorization: `Bearer ${await tokenFor('u-limits', T1)}` });
      expect(r.status).toBe(400);
      expect(r.body.errors?.map((e) => e.extensions?.code)).toContain(code);
      expect(subgraph.seen.length).toBe(before);
    });

    it('still runs a query within every bound', async () => {
      const r = await post(
        routers[0].port,
        { query: `{ chargerByCode(code: "CP-1") { ${nested(5, 'name')} } }` },
        { authorization: `Bearer ${await tokenFor('u-limits', T1)}` },
      );
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.chargerByCode.peer.peer.peer.peer.peer.name).toBe('Tenant one, charger one');
    });

    it('offers no introspection and no "Did you mean" suggestions (NODE_ENV is not development)', async () => {
      const auth = { authorization: `Bearer ${await tokenFor('u-limits', T1)}` };
      const introspection = await post(routers[0].port, { query: '{ __schema { types { name } } }' }, auth);
      expect(introspection.status).toBe(400);
      expect(introspection.body.data).toBeUndefined();
      const typo = await post(routers[0].port, { query: '{ whoam }' }, auth);
      expect(typo.status).toBe(400);
      expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean|whoami/);
    });

    const subscription = (selection: string) => `subscription { connectorStatusChanged { ${selection} } }`;
    const wsCases: [string, string, string][] = [
      ['50 levels deep', subscription(`charger { ${nested(50, 'id')} }`), 'MAX_DEPTH_EXCEEDED'],
      ['500 aliases', subscription(Array.from({ length: 500 }, (_, i) => `a${i}: status`).join(' ')), 'MAX_ALIASES_EXCEEDED'],
      ['30 directives', subscription(`status ${'@include(if: true) '.repeat(30)}`), 'MAX_DIRECTIVES_EXCEEDED'],
      ['2,500 tokens', subscription('status '.repeat(2500)), 'MAX_TOKENS_EXCEEDED'],
      ['a cost past the bound', subscription(`charger { ${nested(7, 'id code name '.repeat(500))} }`), 'MAX_COST_EXCEEDED'],
      ['with a misspelt field', subscription('statu'), 'GRAPHQL_VALIDATION_FAILED'],
    ];

    it.each(wsCases)('refuses a subscription %s over graphql-ws with its code', async (_what, query, code) => {
      const client = await wsClient(routers[0].port, await tokenFor('u-limits-ws', T1));
      const sub = collect(client, query);
      await eventually(async () => sub.errors.length > 0 || sub.results.length > 0, { what: 'subscription refused' });
      const errors = sub.errors[0] as { extensions?: { code?: string } }[];
      expect(errors.map((e) => e.extensions?.code)).toContain(code);
      expect(JSON.stringify(errors)).not.toContain('Did you mean');
      expect(routers[0].router.subscriberCount()).toBe(0);
    });
  });

  describe('subscriptions', () => {
    it('closes a connection without a valid token (4403)', async () => {
      const client = await wsClient(routers[0].port, null);
      const sub = collect(client, SUBSCRIPTION);
      await eventually(async () => sub.errors.length > 0, { what: 'connection refused' });
      expect((sub.errors[0] as { code?: number }).code).toBe(4403);
    });

    it('refuses a subscriber without a tenant with TENANT_CONTEXT_MISSING', async () => {
      const client = await wsClient(routers[0].port, await tokenFor('svc-x', null));
      const sub = collect(client, SUBSCRIPTION);
      await eventually(async () => sub.results.length > 0 || sub.errors.length > 0, { what: 'tenantless subscription answered' });
      expect(sub.results[0]?.errors?.[0]?.extensions?.code).toBe('TENANT_CONTEXT_MISSING');
    });

    it('closes the connection when its token expires (4401), so the client re-authenticates', async () => {
      const shortLived = new TokenIssuer(clientKeyForTests, 'evcs-tenants', 'evcs-api', 2);
      const client = await wsClient(
        routers[0].port,
        await shortLived.issue({ subject: 'u', kind: 'user', tenantId: T1, roles: [], permissions: ['station:read'], dataScope: 'TENANT' }),
      );
      const sub = collect(client, SUBSCRIPTION);
      await eventually(async () => sub.errors.length > 0, { what: 'expiry close', timeoutMs: 10_000 });
      expect((sub.errors[0] as { code?: number }).code).toBe(4401);
    });

    it('serves only subscriptions over WebSocket', async () => {
      const client = await wsClient(routers[0].port, await tokenFor('u', T1));
      const sub = collect(client, '{ whoami }');
      await eventually(async () => sub.errors.length > 0, { what: 'query refused' });
      expect(JSON.stringify(sub.errors[0])).toContain('Only subscriptions');
    });

    it('delivers each event to subscribers of its tenant on every instance, with charger resolved as the subscriber', async () => {
      const [a, b] = routers;
      const t1OnA = collect(await wsClient(a.port, await tokenFor('alice', T1)), SUBSCRIPTION);
      const t1OnB = collect(await wsClient(b.port, await tokenFor('bob', T1)), SUBSCRIPTION, { code: 'CP-1' });
      const t2OnA = collect(await wsClient(a.port, await tokenFor('carol', T2)), SUBSCRIPTION);
      await eventually(async () => a.router.subscriberCount() === 2 && b.router.subscriberCount() === 1, { what: 'subscriptions registered' });

      const seenBefore = subgraph.seen.length;
      const e1 = statusEvent(T1, 'CP-1', 'Charging');
      await publisher.publish(topic, [encodeChargerEvent(e1)]);
      await eventually(async () => t1OnA.results.length >= 1 && t1OnB.results.length >= 1, { what: 'first event on both instances', timeoutMs: 30_000 });

      const expected = {
        data: {
          connectorStatusChanged: {
            eventId: e1.id,
            chargerCode: 'CP-1',
            connectorNo: 1,
            status: 'Charging',
            errorCode: 'NoError',
            occurredAt: e1.occurredAt,
            charger: { name: 'Tenant one, charger one', theCode: 'CP-1' },
          },
        },
      };
      expect(t1OnA.results[0]).toEqual(expected);
      expect(t1OnB.results[0]).toEqual(expected);
      // Each instance resolved `charger` as its own subscriber, through the subgraph.
      const forwarded = subgraph.seen.slice(seenBefore).filter((s) => s.query.includes('RouterSubscriptionCharger'));
      expect(forwarded.map((s) => s.identity?.subject).sort()).toEqual(['alice', 'bob']);
      expect(forwarded.every((s) => s.identity?.tenantId === T1)).toBe(true);

      // Another tenant's event reaches only that tenant's subscriber. A later T1
      // event on the same (single) partition proves the T1 subscribers had
      // already passed the T2 event when they saw it.
      const e2 = statusEvent(T2, 'CP-9', 'Faulted');
      const e3 = statusEvent(T1, 'CP-1', 'Finishing');
      await publisher.publish(topic, [encodeChargerEvent(e2)]);
      await publisher.publish(topic, [encodeChargerEvent(e3)]);
      await eventually(async () => t2OnA.results.length >= 1 && t1OnA.results.length >= 2 && t1OnB.results.length >= 2, {
        what: 'second round of events',
        timeoutMs: 30_000,
      });
      expect(t2OnA.results).toHaveLength(1);
      expect(t2OnA.results[0].data.connectorStatusChanged).toEqual(
        expect.objectContaining({ eventId: e2.id, chargerCode: 'CP-9', status: 'Faulted', charger: { name: 'Tenant two, charger nine', theCode: 'CP-9' } }),
      );
      expect(t1OnA.results.map((r) => r.data.connectorStatusChanged.eventId)).toEqual([e1.id, e3.id]);
      expect(t1OnB.results.map((r) => r.data.connectorStatusChanged.eventId)).toEqual([e1.id, e3.id]);

      // The chargerCode argument narrows: an event for another charger of T1 skips bob.
      const e4 = statusEvent(T1, 'CP-2', 'Available');
      const e5 = statusEvent(T1, 'CP-1', 'Available');
      await publisher.publish(topic, [encodeChargerEvent(e4), encodeChargerEvent(e5)]);
      await eventually(async () => t1OnA.results.length >= 4 && t1OnB.results.length >= 3, { what: 'filtered events', timeoutMs: 30_000 });
      expect(t1OnB.results.map((r) => r.data.connectorStatusChanged.eventId)).toEqual([e1.id, e3.id, e5.id]);
      expect(t1OnA.results[2].data.connectorStatusChanged).toEqual(expect.objectContaining({ eventId: e4.id, charger: null }));

      t1OnA.dispose();
      t1OnB.dispose();
      t2OnA.dispose();
      await eventually(async () => a.router.subscriberCount() === 0 && b.router.subscriberCount() === 0, { what: 'subscriptions released' });
    });
  });

  describe('revoked access', () => {
    const revoke = (userId: string, issuedBefore: number): AccessRevoked => ({
      id: randomUUID(),
      type: 'access.revoked',
      version: 1,
      tenantId: T1,
      occurredAt: new Date().toISOString(),
      data: { userId, issuedBefore, reason: 'ROLES_CHANGED' },
    });
    const userToken = (subject: string, notBefore?: number) =>
      clientIssuer.issue({ subject, kind: 'user', tenantId: T1, roles: ['operator'], permissions: ['station:read'], dataScope: 'TENANT' }, 300, { notBefore });
    const whoami = (port: number, token: string) => post(port, { query: '{ whoami }' }, { authorization: `Bearer ${token}` });

    it('refuses a revoked token with 401 TOKEN_REVOKED on every instance, even one it has verified (and cached) before; later tokens and other users are unaffected', async () => {
      const alice = randomUUID();
      const bob = randomUUID();
      const old = await userToken(alice);
      const bobs = await userToken(bob);
      for (const r of routers) expect((await whoami(r.port, old)).body.data).toEqual({ whoami: `${alice}@${T1}` });

      const cutoff = decodeJwt(old).iat! + 1;
      await publisher.publish(accessTopic, [encodeAccessEvent(revoke(alice, cutoff))]);
      for (const r of routers) {
        const refused = await eventually(
          async () => {
            const res = await whoami(r.port, old);
            return res.status === 401 ? res : undefined;
          },
          { what: 'the revoked token refused', timeoutMs: 30_000 },
        );
        expect(refused.body.errors?.[0].extensions?.code).toBe('TOKEN_REVOKED');
        expect(refused.body.data).toBeUndefined();
      }
      // issued at the cut-off (what the tenants service issues after the change), and someone else's
      for (const r of routers) {
        expect((await whoami(r.port, await userToken(alice, cutoff))).body.data).toEqual({ whoami: `${alice}@${T1}` });
        expect((await whoami(r.port, bobs)).body.data).toEqual({ whoami: `${bob}@${T1}` });
      }
    });

    it('a router started after the revocation knows it before it is ready', async () => {
      const carol = randomUUID();
      const old = await userToken(carol);
      await publisher.publish(accessTopic, [encodeAccessEvent(revoke(carol, decodeJwt(old).iat! + 1))]);
      // the running instances have it: the event is in the topic
      await eventually(async () => (await whoami(routers[0].port, old)).status === 401, { what: 'revocation applied', timeoutMs: 30_000 });

      const instanceId = uniqueName('late');
      const bus = new KafkaEventBus({ clientId: `router-${instanceId}`, brokers: brokersForTests, logger, idempotent: false });
      const late = await createRouter({
        supergraphSdl: supergraphForTests,
        subgraphUrls: { assets: subgraph.url },
        clientVerifier: clientVerifierForTests,
        internalIssuer: new TokenIssuer(await generateSigningKey(uniqueName('late-router')), 'evcs-router'),
        bus,
        instanceId,
        logger,
        chargerEventsTopic: topic,
        accessEventsTopic: accessTopic,
        drainTimeoutMs: 1000,
      });
      try {
        await late.ready;
        expect(late.revocations.isRevoked(carol, decodeJwt(old).iat!)).toBe(true);
        const port = await listen(late.httpServer, 0);
        const r = await whoami(port, old);
        expect(r.status).toBe(401);
        expect(r.body.errors?.[0].extensions?.code).toBe('TOKEN_REVOKED');
      } finally {
        await late.close();
        await bus.close();
      }
    });

    it("closes the revoked user's live subscriptions (4401) and refuses the token for new ones; other subscribers stay", async () => {
      const dave = randomUUID();
      const erin = randomUUID();
      const old = await userToken(dave);
      const daves = collect(await wsClient(routers[1].port, old), SUBSCRIPTION);
      const erins = collect(await wsClient(routers[1].port, await userToken(erin)), SUBSCRIPTION);
      await eventually(async () => routers[1].router.subscriberCount() === 2, { what: 'subscriptions registered' });

      await publisher.publish(accessTopic, [encodeAccessEvent(revoke(dave, decodeJwt(old).iat! + 1))]);
      await eventually(async () => daves.errors.length > 0, { what: 'revoked subscriber closed', timeoutMs: 30_000 });
      expect(daves.errors[0]).toMatchObject({ code: 4401, reason: 'Token revoked' });
      expect(erins.errors).toEqual([]);

      const again = collect(await wsClient(routers[1].port, old), SUBSCRIPTION);
      await eventually(async () => again.errors.length > 0, { what: 'revoked token refused at connection_init' });
      expect((again.errors[0] as { code?: number }).code).toBe(4403);
      erins.dispose();
      await eventually(async () => routers[1].router.subscriberCount() === 0, { what: 'subscriptions released' });
    });
  });
});
