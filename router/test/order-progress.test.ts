import { buildSchema, graphql, parse, subscribe, type ExecutionResult } from 'graphql';
import { createLogger, type Identity } from '@evcs/platform';
import type { RouterContext } from '../src/auth';
import type { GatewayExecutor } from '../src/gateway';
import { movesForward, orderProgressResolvers, type MeterReadingNotice } from '../src/subscriptions/order-progress';
import { TenantEventHub } from '../src/subscriptions/pubsub';
import { buildSubscriptionSchema } from '../src/subscriptions/schema';
import { SUBSCRIPTIONS_SDL } from '../src/subscriptions/subscriptions-sdl';

const logger = createLogger('test', { level: 'silent' });
const T1 = '11111111-1111-4111-8111-111111111111';

// The gateway's API schema and the gateway itself, executing for real: orders' data scope as a
// rule (SELF sees its own order only), and a progress that lags one ask behind each reading.
const apiSdl = `
  type Charger { id: ID! }
  type OrderProgress { readingAt: String energyWh: String }
  type ChargingOrder { id: ID! chargerCode: String! connectorNo: Int! transactionId: String progress: OrderProgress }
  type Query { order(id: ID!): ChargingOrder }
`;

/**
 * @param answers when given, what orders answers to each progress ask in turn (a reading's
 *   time; null: no reading yet), the last one repeated; otherwise orders applies each reading a
 *   moment after the router hears of it (the second ask sees it)
 */
function setup(answers?: (string | null)[]) {
  const asked: string[] = [];
  let applied: string | null = null;
  let pending: string | null = null;
  const execute: GatewayExecutor = async (request, context) => {
    asked.push(request.operationName ?? '');
    const mine = context.identity?.dataScope !== 'SELF' || context.identity.subject === 'driver';
    const progress = () => {
      const seen = answers ? (answers.length > 1 ? answers.shift()! : answers[0]) : applied;
      applied = pending;
      return { readingAt: seen, energyWh: seen ? `${Date.parse(seen) / 60_000 - 29_453_760}` : '0' };
    };
    const result = await graphql({
      schema: buildSchema(apiSdl),
      source: request.query,
      variableValues: request.variables,
      rootValue: {
        order: ({ id }: { id: string }) => (mine && id === 'o1' ? { id, chargerCode: 'CP-1', connectorNo: 1, transactionId: '7', progress } : null),
      },
    });
    return { data: result.data as Record<string, unknown> | null, errors: result.errors?.map((e) => e.toJSON()) };
  };
  const hub = new TenantEventHub<MeterReadingNotice>({ name: 'orderProgress', logger });
  const schema = buildSubscriptionSchema(buildSchema(apiSdl), SUBSCRIPTIONS_SDL, {
    Subscription: orderProgressResolvers({ hub, execute, freshness: { intervalMs: 1, maxIntervalMs: 4, maxWaitMs: 2_000 } }).Subscription,
  });
  const reading = (at: string, over: Partial<MeterReadingNotice> = {}): MeterReadingNotice => {
    pending = at;
    return { eventId: at, tenantId: T1, chargerCode: 'CP-1', connectorNo: 1, transactionId: '7', at, ...over };
  };
  return { hub, schema, asked, reading };
}

const who = (over: Partial<Identity> = {}): RouterContext => ({
  identity: { subject: 'driver', kind: 'user', tenantId: T1, roles: [], permissions: ['order:read'], dataScope: 'SELF', ...over },
  requestId: 'r1',
  log: logger,
});
const DOC = parse('subscription { orderProgress(orderId: "o1") { at: readingAt energyWh } }');

describe('router: Subscription.orderProgress', () => {
  it("pushes the order's progress at a reading of its connector, once orders holds that reading", async () => {
    const { hub, schema, asked, reading } = setup();
    const stream = (await subscribe({ schema, document: DOC, contextValue: who() })) as AsyncGenerator<ExecutionResult>;
    expect(asked).toEqual(['RouterSubscriptionOrder']);
    // first what orders holds when the subscriber came: no reading yet
    expect((await stream.next()).value).toEqual({ data: { orderProgress: { at: null, energyWh: '0' } } });
    hub.publish(T1, { ...reading('2026-01-01T00:00:00Z'), chargerCode: 'CP-2' });
    hub.publish(T1, { ...reading('2026-01-01T00:00:00Z'), transactionId: '8' });
    hub.publish(T1, reading('2026-01-01T00:05:00Z'));
    expect((await stream.next()).value).toEqual({ data: { orderProgress: { at: '2026-01-01T00:05:00Z', energyWh: '5' } } });
    // the client's selection, plus the router's own look at the reading's time; asked again while stale
    expect(asked).toEqual(['RouterSubscriptionOrder', 'RouterSubscriptionOrderProgress', 'RouterSubscriptionOrderProgress', 'RouterSubscriptionOrderProgress']);
    await stream.return(undefined);
    expect(hub.size).toBe(0);
  });

  it('pushes the progress orders holds at once, read after subscribing: a subscriber right after a reading sees it without waiting for the next', async () => {
    const { hub, schema } = setup(['2026-01-01T00:05:00Z']);
    const stream = (await subscribe({ schema, document: DOC, contextValue: who() })) as AsyncGenerator<ExecutionResult>;
    const first = stream.next();
    // no reading ever comes: the hub ends the stream
    hub.close();
    expect(await first).toEqual({ value: { data: { orderProgress: { at: '2026-01-01T00:05:00Z', energyWh: '5' } } }, done: false });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('never goes backwards: a progress older than (or the same as) the one pushed is not pushed, a later one is', async () => {
    // orders held 00:10 when the subscriber came; the notices of 00:05 and 00:10 arrive after, and
    // their asks are answered by a read that lags (00:05), then by the current one (00:10 again)
    const { hub, schema, reading } = setup(['2026-01-01T00:10:00Z', '2026-01-01T00:05:00Z', '2026-01-01T00:10:00Z', '2026-01-01T00:15:00Z']);
    const stream = (await subscribe({ schema, document: DOC, contextValue: who() })) as AsyncGenerator<ExecutionResult>;
    hub.publish(T1, reading('2026-01-01T00:05:00Z'));
    hub.publish(T1, reading('2026-01-01T00:10:00Z'));
    hub.publish(T1, reading('2026-01-01T00:15:00Z'));
    const at = async () => ((await stream.next()).value as ExecutionResult<{ orderProgress: { at: string } }>).data?.orderProgress.at;
    expect(await at()).toBe('2026-01-01T00:10:00Z');
    expect(await at()).toBe('2026-01-01T00:15:00Z');
    await stream.return(undefined);
    expect(hub.size).toBe(0);
  });

  it('waits for a reading orders applies late (after many asks), rather than dropping it until the next reading', async () => {
    // orders held nothing when the subscriber came, and applies the 00:05 reading only at the tenth ask after its notice
    const stale = Array.from({ length: 10 }, () => null);
    const { hub, schema, asked, reading } = setup([...stale, '2026-01-01T00:05:00Z']);
    const stream = (await subscribe({ schema, document: DOC, contextValue: who() })) as AsyncGenerator<ExecutionResult>;
    expect((await stream.next()).value).toEqual({ data: { orderProgress: { at: null, energyWh: '0' } } });
    hub.publish(T1, reading('2026-01-01T00:05:00Z'));
    expect((await stream.next()).value).toEqual({ data: { orderProgress: { at: '2026-01-01T00:05:00Z', energyWh: '5' } } });
    expect(asked.filter((a) => a === 'RouterSubscriptionOrderProgress')).toHaveLength(11);
    await stream.return(undefined);
  });

  it('stops asking once the subscriber has gone', async () => {
    const { hub, schema, asked, reading } = setup([null]);
    const stream = (await subscribe({ schema, document: DOC, contextValue: who() })) as AsyncGenerator<ExecutionResult>;
    await stream.next();
    hub.publish(T1, reading('2026-01-01T00:05:00Z'));
    const pending = stream.next();
    await new Promise((r) => setTimeout(r, 20));
    await stream.return(undefined);
    await pending.catch(() => undefined);
    const after = asked.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(asked.length).toBe(after);
  });

  it('decides forward by the reading time: later readings, a first reading, the end once', () => {
    const p = (readingAt: string | null) => ({ routerReadingAt: readingAt });
    const at = (iso: string) => ({ kind: 'AT' as const, readingAt: Date.parse(iso) });
    expect(movesForward({ kind: 'NONE' }, p(null))).toEqual({ kind: 'AT', readingAt: null });
    expect(movesForward({ kind: 'NONE' }, null)).toEqual({ kind: 'ENDED' });
    expect(movesForward({ kind: 'AT', readingAt: null }, p(null))).toBeNull();
    expect(movesForward({ kind: 'AT', readingAt: null }, p('2026-01-01T00:05:00Z'))).toEqual(at('2026-01-01T00:05:00Z'));
    expect(movesForward(at('2026-01-01T00:05:00Z'), p('2026-01-01T00:05:00Z'))).toBeNull();
    expect(movesForward(at('2026-01-01T00:05:00Z'), p('2026-01-01T00:04:59.999Z'))).toBeNull();
    expect(movesForward(at('2026-01-01T00:05:00Z'), p(null))).toBeNull();
    expect(movesForward(at('2026-01-01T00:05:00Z'), p('2026-01-01T00:05:00.001+00:00'))).toEqual(at('2026-01-01T00:05:00.001Z'));
    expect(movesForward(at('2026-01-01T00:05:00Z'), null)).toEqual({ kind: 'ENDED' });
    expect(movesForward({ kind: 'ENDED' }, p('2026-01-01T00:06:00Z'))).toBeNull();
    expect(movesForward({ kind: 'ENDED' }, null)).toBeNull();
  });

  it('is for the order’s own driver and staff who may read it: anyone else is refused as NOT_FOUND', async () => {
    const { schema } = setup();
    const stranger = (await subscribe({ schema, document: DOC, contextValue: who({ subject: 'someone-else' }) })) as ExecutionResult;
    expect(stranger.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const staff = await subscribe({ schema, document: DOC, contextValue: who({ subject: 'olga', dataScope: 'TENANT' }) });
    expect(Symbol.asyncIterator in (staff as object)).toBe(true);
    await (staff as AsyncGenerator<ExecutionResult>).return(undefined);
    const noTenant = (await subscribe({ schema, document: DOC, contextValue: who({ tenantId: null }) })) as ExecutionResult;
    expect(noTenant.errors?.[0].originalError).toEqual(expect.objectContaining({ code: 'TENANT_CONTEXT_MISSING' }));
  });
});
