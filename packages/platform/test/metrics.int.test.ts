import { randomBytes, randomUUID } from 'node:crypto';
import { PaymentEvents } from '@evcs/events';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import knexFactory, { Knex } from 'knex';
import {
  AppError,
  ConsumerLagMonitor,
  createBusinessMetrics,
  createKnex,
  createLogger,
  createOutbox,
  createSubgraphServer,
  DEFAULT_ROLES,
  dropDatabase,
  ensureDatabase,
  FleetCounts,
  kafkaNames,
  kafkaReadinessChecks,
  KafkaEventBus,
  listen,
  MetricsServer,
  OutboxRelay,
  OutboxWriter,
  PgOutbox,
  readinessReport,
  startMetricsServer,
  SubgraphServer,
  Subscription,
  TokenVerifier,
  withDatabase,
  withTenant,
} from '../src';

const superuser = process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const suffix = randomBytes(4).toString('hex');
const logger = createLogger('metrics-test', { level: 'silent' });

/** The value of one sample in Prometheus text, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/**
 * The metrics every service exports, read the way Prometheus reads them: over HTTP from the
 * internal port, against a real Postgres and Kafka.
 */
describe('platform metrics on the internal port (real Postgres and Kafka)', () => {
  const database = `evcs_t_metrics_${suffix}`;
  const names = kafkaNames(`t_metrics_${suffix}`);
  let server: MetricsServer;
  let owner: Knex;
  let app: Knex;
  let bus: KafkaEventBus;
  const scrape = async () => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();

  beforeAll(async () => {
    server = await startMetricsServer({ port: 0, logger, service: 'metrics-test' });
    await ensureDatabase(superuser, database);
    owner = knexFactory({ client: 'pg', connection: withDatabase(superuser, database, DEFAULT_ROLES.owner), pool: { min: 0, max: 1 } });
    await owner.raw(`create schema m; grant usage on schema m to ${DEFAULT_ROLES.app};
      alter default privileges in schema m grant select, insert, update, delete on tables to ${DEFAULT_ROLES.app};
      alter default privileges in schema m grant usage, select on sequences to ${DEFAULT_ROLES.app};
      create table m.things (tenant_id uuid not null);`);
    await owner.transaction((trx) => createOutbox(trx, 'm', { readersOf: 'm.things' }));
    app = createKnex({ connectionString: withDatabase(superuser, database, DEFAULT_ROLES.app), schema: 'm', pool: { max: 3 }, metricsPool: 'test-api' });
    bus = new KafkaEventBus({ clientId: `metrics-test-${suffix}`, brokers, logger });
  });
  afterAll(async () => {
    await bus?.close();
    await app?.destroy();
    await owner?.destroy();
    await dropDatabase(superuser, database);
    await server?.close();
  });

  it('serves the Prometheus text format on /metrics only, with process and event-loop metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeDefined();
    expect((await fetch(`http://127.0.0.1:${server.port}/graphql`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics/`)).status).toBe(404);
  });

  it('times every statement of a named pool and reads its pool at each scrape', async () => {
    const before = sample(await scrape(), 'evcs_db_statement_duration_seconds_count', { pool: 'test-api', outcome: 'ok' }) ?? 0;
    await app.raw('select 1');
    await expect(app.raw('select * from no_such_table')).rejects.toThrow();
    const text = await scrape();
    expect(sample(text, 'evcs_db_statement_duration_seconds_count', { pool: 'test-api', outcome: 'ok' })).toBe(before + 1);
    expect(sample(text, 'evcs_db_statement_duration_seconds_count', { pool: 'test-api', outcome: 'error' })).toBe(1);
    expect(sample(text, 'evcs_db_pool_max_connections', { pool: 'test-api' })).toBe(3);
    expect(sample(text, 'evcs_db_pool_connections', { pool: 'test-api', state: 'used' })).toBe(0);
    expect(sample(text, 'evcs_db_pool_waiting_requests', { pool: 'test-api' })).toBe(0);
    // a transaction holds its connection: it shows as used while it is open
    await app.transaction(async (trx) => {
      await trx.raw('select 1');
      expect(sample(await scrape(), 'evcs_db_pool_connections', { pool: 'test-api', state: 'used' })).toBe(1);
    });
  });

  it('reports the outbox backlog and its oldest row’s age while the relay can’t publish', async () => {
    const tenant = randomUUID();
    const writer = new OutboxWriter('m');
    const event = () => ({
      id: randomUUID(),
      type: 'payment.failed' as const,
      version: 1 as const,
      tenantId: tenant,
      orderId: randomUUID(),
      paymentId: randomUUID(),
      occurredAt: new Date().toISOString(),
      data: { state: 'FAILED' as const, channel: 'ALIPAY' as const, reason: null },
    });
    await withTenant(app, tenant, async (trx) => {
      await writer.enqueue(trx, PaymentEvents, event());
      await writer.enqueue(trx, PaymentEvents, event());
    });
    await owner.raw(`update m.outbox set created_at = now() - interval '90 seconds'`);
    // A relay whose preparation never finishes (a broker it can't reach) publishes nothing.
    const relay = new OutboxRelay({ outbox: new PgOutbox(app, 'm'), bus, names, logger, prepare: () => new Promise<void>(() => undefined) });
    relay.start();
    try {
      const text = await scrape();
      expect(sample(text, 'evcs_outbox_pending_messages', { schema: 'm' })).toBe(2);
      expect(sample(text, 'evcs_outbox_oldest_pending_age_seconds', { schema: 'm' })).toBeGreaterThanOrEqual(90);
    } finally {
      void relay.stop();
    }
    expect(sample(await scrape(), 'evcs_outbox_pending_messages', { schema: 'm' })).toBeUndefined();
  });

  it('times produce requests, and measures the lag of a consumer that falls behind; readiness names it', async () => {
    const topic = names.topic('lagging');
    const groupId = names.group('lagging');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const before = sample(await scrape(), 'evcs_kafka_produce_duration_seconds_count', { outcome: 'ok' }) ?? 0;
    await bus.publish(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: `m${i}` })),
    );
    expect(sample(await scrape(), 'evcs_kafka_produce_duration_seconds_count', { outcome: 'ok' })).toBe(before + 1);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // handles nothing until released: every message stays uncommitted
    const sub: Subscription = await bus.subscribe({ groupId, topics: [topic], fromBeginning: true, handleBatch: () => held });
    const monitor = new ConsumerLagMonitor(bus, { everyMs: 60_000 });
    try {
      await sub.ready;
      monitor.start();
      await monitor.refresh();
      expect(monitor.lagByGroup().get(groupId)).toBe(5);
      expect(sample(await scrape(), 'evcs_kafka_consumer_lag_messages', { group: groupId, topic, partition: '0' })).toBe(5);
      const report = await readinessReport('t', kafkaReadinessChecks({ bus, produces: true, lagByGroup: () => monitor.lagByGroup(), maxLag: 2 }));
      expect(report.status).toBe('not-ready');
      expect(report.failing).toEqual(['kafka-consumer-lag']);
      expect(report.checks['kafka-consumer-lag']).toContain(`${groupId}: 5 behind`);
      expect(report.checks['kafka-producer']).toBe('ok');
    } finally {
      release();
      await monitor.stop();
      await sub.stop();
    }
    expect(sample(await scrape(), 'evcs_kafka_consumer_lag_messages', { group: groupId })).toBeUndefined();
  });

  it('counts GraphQL operations by root field and outcome, errors by code; readiness answers JSON naming what fails', async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          ok: { type: GraphQLString, resolve: () => 'ok' },
          boom: {
            type: GraphQLString,
            resolve: () => {
              throw new AppError('CONFLICT', 'no');
            },
          },
        },
      }),
    });
    let dbUp = true;
    const srv: SubgraphServer = await createSubgraphServer({
      name: 'metrics-test',
      schema,
      verifier: new TokenVerifier({ keys: [] }, ['nobody']),
      logger,
      publicRootFields: ['ok', 'boom'],
      extendContext: (b) => b,
      ready: async () => {
        if (!dbUp) throw new Error('connection refused');
      },
    });
    const base = `http://127.0.0.1:${await listen(srv.server, 0)}`;
    try {
      const gql = (query: string, operationName?: string) =>
        fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName }) });
      await gql('query ClientChosenName { ok }', 'ClientChosenName');
      await gql('{ boom }');
      const text = await scrape();
      expect(sample(text, 'evcs_graphql_operation_duration_seconds_count', { operation: 'ok', type: 'query', outcome: 'success' })).toBe(1);
      expect(sample(text, 'evcs_graphql_operation_duration_seconds_count', { operation: 'boom', type: 'query', outcome: 'error' })).toBe(1);
      expect(sample(text, 'evcs_graphql_errors_total', { operation: 'boom', code: 'CONFLICT' })).toBe(1);
      expect(text).not.toContain('ClientChosenName');

      expect(await (await fetch(`${base}/health/ready`)).json()).toEqual({ status: 'ready', service: 'metrics-test', failing: [], checks: { database: 'ok' } });
      dbUp = false;
      const down = await fetch(`${base}/health/ready`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'not-ready', failing: ['database'], checks: { database: 'connection refused' } });
    } finally {
      await srv.stop();
    }
  });

  it('business metrics carry a tenant label only for the tenants configured, never ids of anything else', async () => {
    const named = randomUUID();
    const business = createBusinessMetrics({ tenantLabels: [named] });
    business.orderCreated(named, 'API');
    business.orderCreated(randomUUID(), 'CHARGER');
    business.paymentSucceeded(named, 'ALIPAY', { minor: 1234, currency: 'CNY' });
    business.observeFleet(async (): Promise<FleetCounts[]> => [
      { tenantId: named, chargers: 3, online: 2, charging: 1, connectors: { Available: 2, Charging: 1 } },
      { tenantId: randomUUID(), chargers: 1, online: 0, charging: 0, connectors: { Offline: 2 } },
    ]);
    const text = await scrape();
    expect(sample(text, 'evcs_orders_created_total', { tenant: named, origin: 'API' })).toBe(1);
    expect(sample(text, 'evcs_orders_created_total', { tenant: 'other', origin: 'CHARGER' })).toBe(1);
    expect(sample(text, 'evcs_payments_received_minor_units_total', { tenant: named, channel: 'ALIPAY', currency: 'CNY' })).toBe(1234);
    expect(sample(text, 'evcs_chargers_online', { tenant: named })).toBe(2);
    expect(sample(text, 'evcs_chargers_registered', { tenant: 'other' })).toBe(1);
    expect(sample(text, 'evcs_connectors', { tenant: 'other', status: 'Offline' })).toBe(2);
  });
});
