import { randomUUID } from 'node:crypto';
import { ChargerEvent, encodeChargerEvent } from '@evcs/events';
import {
  AppError,
  createKnex,
  createLogger,
  DeadLetterCounted,
  DeadLetterRecorder,
  DeadLetterReplayer,
  ErrorCodes,
  formatMoney,
  generateSigningKey,
  Identity,
  KafkaEventBus,
  Knex,
  listen,
  money,
  PgDeadLetterStore,
  ReceivedMessage,
  Subscription,
  SubgraphServer,
  TokenIssuer,
  TokenVerifier,
  withTenant,
} from '@evcs/platform';
import { createTestDatabase, ensureKafka, eventually, TestDatabase, uniqueName } from '@evcs/testkit';
import { createOrdersServer, migrations } from '../src';
import type { Bill, ChargerDirectory, Pricer } from '../src/domain/ports';
import { SessionService } from '../src/domain/session-service';
import { startChargerEventsConsumer } from '../src/events/charger-events-consumer';
import { PgOrderStore } from '../src/persistence/order-store';

const silent = createLogger('orders-dead-letters-test', { level: 'silent' });

/** 1.00 per kWh, in integer fen. */
const pricer: Pricer = {
  price: async (req): Promise<Bill> => {
    const total = money(Math.round(req.energyWh / 10), 'CNY');
    return {
      currency: 'CNY',
      planId: 'p',
      source: 'TENANT',
      planVersions: [1],
      timezone: 'Asia/Shanghai',
      electricityAmount: total,
      serviceAmount: money(0, 'CNY'),
      totalExact: formatMoney(total),
      total,
      items: [],
    };
  },
};

const CONSUMER = 'orders-charger-events';

/**
 * Poison events: a message the orders consumer can never apply is a dead letter (kept, published
 * to the dead-letter topic, counted) and its partition moves on; platform users list and replay
 * it through GraphQL, operators can't; a transient database failure is retried, never
 * dead-lettered. Real Kafka, real Postgres, real HTTP.
 */
describe('orders dead letters (real Kafka, real Postgres)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let bus: KafkaEventBus;
  let srv: SubgraphServer;
  let url: string;
  let router: TokenIssuer;
  let recorder: DeadLetterRecorder;
  const counted: DeadLetterCounted[] = [];
  const subs: Subscription[] = [];
  const T = randomUUID(); // the operator the chargers belong to
  const P = randomUUID(); // the platform tenant above it
  const deadLetterTopic = uniqueName('t_dead_letters');
  const clock = { now: () => new Date('2026-11-24T12:00:00Z') };
  /** Chargers the assets service refuses to name for now (registered to no one yet): a refusal for good. */
  const refused = new Set<string>();
  const chargers: ChargerDirectory = {
    byId: async () => null,
    byCode: async (_tenantId, code) => {
      if (refused.has(code)) throw new AppError(ErrorCodes.FORBIDDEN, 'this charger belongs to no one you may act for');
      return { chargerId: randomUUID(), code, stationId: randomUUID(), protocol: 'YKC', connectorNos: [1] };
    },
  };

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
    bus = new KafkaEventBus({ clientId: uniqueName('orders-dl-test'), brokers: await ensureKafka(), logger: silent });
    await bus.ensureTopics([{ topic: deadLetterTopic, partitions: 1 }]);
    recorder = new DeadLetterRecorder({ store: new PgDeadLetterStore(knex, 'orders'), bus, topic: deadLetterTopic, logger: silent });
    recorder.onDeadLetter((e) => counted.push(e));
    const key = await generateSigningKey('router-k');
    router = new TokenIssuer(key, 'evcs-router');
    srv = await createOrdersServer({
      knex,
      verifier: new TokenVerifier({ keys: [key.publicJwk] }, ['evcs-router']),
      logger: silent,
      pricer,
      chargers,
      clock,
    });
    url = `http://127.0.0.1:${await listen(srv.server, 0)}/graphql`;
  });
  afterAll(async () => {
    await Promise.allSettled(subs.map((s) => s.stop()));
    await srv?.stop();
    await bus?.close();
    await knex?.destroy();
    await db?.drop();
  });

  const platformUser: Partial<Identity> = { tenantId: P, permissions: ['event:replay', 'platform:cross-tenant'], dataScope: 'ALL', visibleTenantIds: [P, T] };
  const operatorAdmin: Partial<Identity> = {
    tenantId: T,
    permissions: ['order:read', 'order:write', 'station:read', 'payment:read', 'payment:refund', 'user:read', 'user:write', 'audit:read'],
    dataScope: 'TENANT_AND_CHILDREN',
    visibleTenantIds: [T],
  };
  const gql = async (query: string, variables: Record<string, unknown>, id: Partial<Identity>) => {
    const token = await router.issue({ subject: randomUUID(), kind: 'user', tenantId: T, roles: [], permissions: [], ...id });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  };
  const LIST = `query($f: DeadLetterFilter) { ordersDeadLetters(filter: $f, first: 10) {
    edges { node { id tenantId consumer topic partition offset key headers { name value } payloadBase64 reasonCode reasonMessage attempts status replayedAt } }
    pageInfo { hasNextPage endCursor } } }`;
  const REPLAY = `mutation($id: ID!) { replayOrdersDeadLetter(id: $id) { deadLetter { id status replayedAt } userErrors { code field message } } }`;

  const envelope = (chargerId: string, at: string) => ({
    id: randomUUID(),
    version: 1 as const,
    tenantId: T,
    chargerId,
    occurredAt: at,
    receivedAt: at,
    source: { protocol: 'YKC' as const, bridgeId: 'b1' },
  });
  /** A YKC pile's own bill of a session it started itself (a card start): 10.0000 → 12.5000 kWh. */
  const chargerRecord = (code: string, serial: string, meterStopKwh = '12.5000'): ChargerEvent =>
    ({
      ...envelope(code, '2026-11-24T09:00:00Z'),
      type: 'transaction.recorded',
      data: {
        transactionId: serial,
        connectorId: 1,
        startedAt: '2026-11-24T08:00:00Z',
        endedAt: '2026-11-24T09:00:00Z',
        meterStartKwh: '10.0000',
        meterStopKwh,
        energyKwh: '2.5000',
        amount: '2.5000',
        currency: 'CNY',
        tiers: [],
        startType: 1,
        stopReason: 0,
      },
    }) as ChargerEvent;
  const started = (code: string, tx: string): ChargerEvent => ({
    ...envelope(code, '2026-11-24T08:00:00Z'),
    type: 'session.started',
    data: { connectorId: 1, transactionId: tx, idTag: 'CARD', meterStartWh: 1000, startedAt: '2026-11-24T08:00:00Z', trigger: 'LOCAL' },
  });
  const stopped = (code: string, tx: string): ChargerEvent => ({
    ...envelope(code, '2026-11-24T08:30:00Z'),
    type: 'session.stopped',
    data: { transactionId: tx, meterStopWh: 5000, stoppedAt: '2026-11-24T08:30:00Z', reason: 'Local' },
  });

  /** A topic of one partition (everything on it is in one line) and the orders consumer on it. */
  async function consumerOn(sessions: SessionService): Promise<string> {
    const topic = uniqueName('t_charger_events');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const groupId = uniqueName('orders-charger-events');
    const sub = await startChargerEventsConsumer({
      bus,
      sessions,
      deadLetters: recorder,
      topic,
      groupId,
      fromBeginning: true,
      retryBackoff: { initialMs: 50, maxMs: 200 },
    });
    subs.push(sub);
    await sub.ready;
    return topic;
  }
  const ordersOf = (codes: string[]) =>
    withTenant(knex, T, (trx) => trx('orders.orders').whereIn('charger_code', codes).select('charger_code', 'state', 'energy_wh'));
  const liveSessions = () => new SessionService(new PgOrderStore(knex), chargers, pricer, clock);

  it('a charger record with a malformed kWh is a dead letter with its reason; the next event on its partition is applied; platform users list it, operators cannot', async () => {
    const bad = `BAD-${randomUUID().slice(0, 6)}`;
    const good = `GOOD-${randomUUID().slice(0, 6)}`;
    const topic = await consumerOn(liveSessions());
    const poison = chargerRecord(bad, '00000000000000000000000000000001', '12,5kWh');
    await bus.publish(topic, [poison, started(good, '1'), stopped(good, '1')].map(encodeChargerEvent));

    // Not blocked: the session behind the poison on the same partition is billed.
    await eventually(async () => (await ordersOf([good]))[0]?.state === 'TO_PAY', { timeoutMs: 60_000, what: 'the good session billed' });
    expect(await ordersOf([bad])).toEqual([]);

    // Listed through GraphQL by a platform user, with the reason and the message as received.
    const listed = await gql(LIST, { f: { consumer: CONSUMER } }, platformUser);
    expect(listed.errors).toBeUndefined();
    const edges = listed.data.ordersDeadLetters.edges.filter((e: any) => e.node.topic === topic);
    expect(edges).toHaveLength(1);
    const d = edges[0].node;
    expect(d).toMatchObject({ tenantId: T, consumer: CONSUMER, partition: 0, offset: '0', key: bad, reasonCode: 'INVALID_EVENT', attempts: 1, status: 'DEAD' });
    expect(d.reasonMessage).toContain('data.meterStopKwh');
    expect(JSON.parse(Buffer.from(d.payloadBase64, 'base64').toString('utf8'))).toEqual(poison);
    expect(d.headers).toEqual(expect.arrayContaining([{ name: 'tenant-id', value: T }]));

    // On the dead-letter topic, with the reason in its headers.
    const onTopic: ReceivedMessage[] = [];
    subs.push(
      await bus.subscribe({
        groupId: uniqueName('dl-reader'),
        topics: [deadLetterTopic],
        fromBeginning: true,
        handleBatch: async (ms) => void onTopic.push(...ms),
      }),
    );
    const published = await eventually(async () => onTopic.find((m) => m.headers['dead-letter-id'] === d.id), {
      timeoutMs: 30_000,
      what: 'the dead letter on its topic',
    });
    expect(published.headers).toMatchObject({
      'dead-letter-consumer': CONSUMER,
      'dead-letter-reason': 'INVALID_EVENT',
      'dead-letter-topic': topic,
      'dead-letter-offset': '0',
    });
    expect(published.key).toBe(bad);

    // Counted once.
    expect(counted.filter((c) => c.consumer === CONSUMER && c.reason === 'INVALID_EVENT')).toHaveLength(1);
    expect(recorder.counts()[`${CONSUMER}/INVALID_EVENT`]).toBe(1);

    // An operator (even its own tenant's administrator) neither sees nor replays it.
    const asOperator = await gql(LIST, {}, operatorAdmin);
    expect(asOperator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(asOperator.data).toBeNull();
    const replayAsOperator = await gql(REPLAY, { id: d.id }, operatorAdmin);
    expect(replayAsOperator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Replayed as it is, it fails again for good: still dead, one more attempt, nothing applied.
    const again = await gql(REPLAY, { id: d.id }, platformUser);
    expect(again.data.replayOrdersDeadLetter.userErrors).toEqual([expect.objectContaining({ code: 'STILL_FAILING', field: 'id' })]);
    const after = (await gql(LIST, { f: { consumer: CONSUMER } }, platformUser)).data.ordersDeadLetters.edges.find((e: any) => e.node.id === d.id).node;
    expect(after).toMatchObject({ status: 'DEAD', attempts: 2 });
    expect(await ordersOf([bad])).toEqual([]);
  });

  it('replayed once its cause is fixed, a dead letter is applied once; replaying it again is ALREADY_REPLAYED', async () => {
    const late = `LATE-${randomUUID().slice(0, 6)}`;
    refused.add(late);
    const topic = await consumerOn(liveSessions());
    await bus.publish(topic, [encodeChargerEvent(chargerRecord(late, '00000000000000000000000000000002'))]);
    const d = await eventually(
      async () =>
        (await gql(LIST, { f: { consumer: CONSUMER, reasonCode: 'FORBIDDEN' } }, platformUser)).data.ordersDeadLetters.edges.find(
          (e: any) => e.node.topic === topic,
        )?.node,
      { timeoutMs: 60_000, what: 'the refused record dead-lettered' },
    );
    expect(d).toMatchObject({ key: late, status: 'DEAD' });
    expect(await ordersOf([late])).toEqual([]);

    // The charger is registered now: the replay applies the record — one order, billed from the pile's meter.
    refused.delete(late);
    const replayed = await gql(REPLAY, { id: d.id }, platformUser);
    expect(replayed.data.replayOrdersDeadLetter).toEqual({ deadLetter: { id: d.id, status: 'REPLAYED', replayedAt: expect.any(String) }, userErrors: [] });
    expect(await ordersOf([late])).toEqual([{ charger_code: late, state: 'TO_PAY', energy_wh: '2500' }]);

    // While one replay holds the row, another is told so (and does nothing).
    const store = new PgDeadLetterStore(knex, 'orders');
    const replayer = new DeadLetterReplayer(store, { [CONSUMER]: async () => Promise.reject(new Error('must not run')) });
    const scope = { scope: 'ALL' as const, tenantId: P, tenantIds: [P, T], stationIds: null, selfSubject: null };
    const inner = await store.locked(T, d.id, () => replayer.replay(scope, 'someone', d.id));
    expect(inner).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'REPLAY_IN_PROGRESS' })] });
    // Again: nothing more happens.
    const twice = await gql(REPLAY, { id: d.id }, platformUser);
    expect(twice.data.replayOrdersDeadLetter).toEqual({ deadLetter: null, userErrors: [expect.objectContaining({ code: 'ALREADY_REPLAYED', field: 'id' })] });
    expect(await ordersOf([late])).toHaveLength(1);
    const listed = await gql(LIST, { f: { status: 'REPLAYED' } }, platformUser);
    expect(listed.data.ordersDeadLetters.edges.map((e: any) => e.node.id)).toContain(d.id);
  });

  it('a message that names no tenant is kept unattributed: seen by platform users, not by a tenant outside their scope', async () => {
    const topic = await consumerOn(liveSessions());
    // (a NUL in a header, which Postgres text refuses, is dropped rather than making the dead letter unrecordable)
    await bus.publish(topic, [{ key: 'garbage', value: 'not json at all', headers: { 'x-odd': 'a\u0000b' } }]);
    const unattributed = await eventually(
      async () => (await gql(LIST, { f: { consumer: CONSUMER } }, platformUser)).data.ordersDeadLetters.edges.find((e: any) => e.node.topic === topic)?.node,
      { timeoutMs: 60_000, what: 'the garbage dead-lettered' },
    );
    expect(unattributed).toMatchObject({ tenantId: null, reasonCode: 'INVALID_EVENT', key: 'garbage', headers: [{ name: 'x-odd', value: 'ab' }] });
    // Row-level security: a platform user of another platform sees the unattributed ones, none of T's.
    const other = randomUUID();
    const theirs = await gql(LIST, { f: { consumer: CONSUMER } }, { ...platformUser, tenantId: other, visibleTenantIds: [other] });
    const tenants = new Set(theirs.data.ordersDeadLetters.edges.map((e: any) => e.node.tenantId));
    expect([...tenants]).toEqual([null]);
  });

  it('dead letters recorded in the same millisecond page one at a time, each once (first_seen_at kept to the millisecond of its cursor)', async () => {
    const store = new PgDeadLetterStore(knex, 'orders');
    const tenantId = randomUUID();
    const topic = `t-${randomUUID()}`;
    // concurrent transactions: many of them begin within one millisecond
    const recorded = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.record({
          tenantId,
          consumer: 'paging-test',
          topic,
          partition: 0,
          offset: String(i),
          key: null,
          headers: {},
          payload: null,
          reasonCode: 'X',
          reasonMessage: 'x',
        }),
      ),
    );
    const scope = { scope: 'TENANT' as const, tenantId, tenantIds: [tenantId], selfSubject: null, stationIds: null };
    const seen: string[] = [];
    let cursor: { t: string; id: string } | null = null;
    for (let guard = 0; guard < 60; guard++) {
      const rows = await store.list(scope, { consumer: 'paging-test' }, { direction: 'forward', size: 1, cursor });
      if (rows.length === 0) break;
      seen.push(rows[0].id);
      cursor = { t: rows[0].firstSeenAt.toISOString(), id: rows[0].id };
    }
    expect([...seen].sort()).toEqual(recorded.map((r) => r.id).sort());
  });

  it('a transient database failure is retried in place, never dead-lettered', async () => {
    // The consumer's connections give up on a lock after 100 ms: a real, transient database error (55P03).
    const impatient = createKnex({
      connectionString: `${db.appUrl}?options=${encodeURIComponent('-c lock_timeout=100ms')}`,
      schema: 'orders',
      pool: { max: 2 },
    });
    const owner = createKnex({ connectionString: db.ownerUrl, schema: 'orders', pool: { max: 1 } });
    let retries = 0;
    const watching = createLogger('orders-dead-letters-test', {
      level: 'warn',
      hooks: {
        // counted, not printed
        logMethod(args) {
          if (args.some((a) => typeof a === 'string' && a.startsWith('message failed, retrying in place'))) retries++;
        },
      },
    });
    try {
      const topic = uniqueName('t_charger_events');
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const sessions = new SessionService(new PgOrderStore(impatient), chargers, pricer, clock);
      const consumer = new KafkaEventBus({ clientId: uniqueName('orders-dl-transient'), brokers: await ensureKafka(), logger: watching });
      const code = `BUSY-${randomUUID().slice(0, 6)}`;
      const before = counted.length;
      await owner.transaction(async (trx) => {
        await trx.raw('lock table orders.orders in access exclusive mode');
        const sub = await startChargerEventsConsumer({
          bus: consumer,
          sessions,
          deadLetters: recorder,
          topic,
          groupId: uniqueName('orders-charger-events'),
          fromBeginning: true,
          retryBackoff: { initialMs: 50, maxMs: 200 },
        });
        subs.push({ ...sub, stop: async () => (await sub.stop(), await consumer.close()) });
        await bus.publish(topic, [encodeChargerEvent(started(code, '7'))]);
        await eventually(async () => retries >= 3, { timeoutMs: 60_000, what: 'the consumer retrying while the table is locked' });
      });
      // The lock is gone: the same message is applied, and nothing was dead-lettered.
      await eventually(async () => (await ordersOf([code]))[0]?.state === 'CHARGING', { timeoutMs: 60_000, what: 'the start applied after the lock' });
      expect(counted.length).toBe(before);
      const dead = await withTenant(knex, T, (trx) => trx('orders.dead_letters').where({ topic }));
      expect(dead).toEqual([]);
    } finally {
      await impatient.destroy();
      await owner.destroy();
    }
  });
});
