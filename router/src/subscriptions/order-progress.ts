import { FieldNode, GraphQLError, GraphQLResolveInfo, Kind } from 'graphql';
import type { ChargerEventOf } from '@evcs/events';
import { requireTenant } from '@evcs/platform';
import { randomUUID } from 'node:crypto';
import type { RouterContext } from '../auth';
import type { GatewayExecutor } from '../gateway';
import { selectionToGatewayQuery } from './gateway-query';
import type { HubIterator, TenantEventHub } from './pubsub';
import type { RouterResolvers } from './schema';

/** A charger reported meter values on a connector: what wakes an `orderProgress` subscriber. */
export interface MeterReadingNotice {
  eventId: string;
  tenantId: string;
  chargerCode: string;
  connectorNo: number;
  transactionId: string | null;
  /** the latest reading's time in the event (ISO 8601) */
  at: string | null;
}

export function toMeterReadingNotice(e: ChargerEventOf<'session.meter_values'>): MeterReadingNotice {
  return {
    eventId: e.id,
    tenantId: e.tenantId,
    chargerCode: e.chargerId,
    connectorNo: e.data.connectorId,
    transactionId: e.data.transactionId ?? null,
    at:
      e.data.readings
        .map((r) => r.timestamp)
        .sort((a, b) => Date.parse(a) - Date.parse(b))
        .at(-1) ?? null,
  };
}

export interface OrderProgressResolverDeps {
  hub: TenantEventHub<MeterReadingNotice>;
  execute: GatewayExecutor;
  /**
   * While orders has not applied the reading yet: the progress is asked again after intervalMs,
   * the interval doubling up to maxIntervalMs, for at most maxWaitMs in all.
   */
  freshness?: Freshness;
}

export interface Freshness {
  intervalMs: number;
  maxIntervalMs: number;
  maxWaitMs: number;
}

/**
 * Orders applies a reading after its consumer fetched it, which under load takes seconds (the
 * ingest benchmark's p99 is 1–2 s): a reading the subscriber was told of is waited for that long
 * and longer, at a falling rate, rather than dropped after a fixed few asks (a reading applied
 * after them was never pushed until the next one came).
 */
const DEFAULT_FRESHNESS: Freshness = { intervalMs: 200, maxIntervalMs: 5_000, maxWaitMs: 60_000 };

interface WatchedOrder {
  id: string;
  chargerCode: string;
  connectorNo: number;
  transactionId: string | null;
}

const ORDER_QUERY = 'query RouterSubscriptionOrder($id: ID!) { order(id: $id) { id chargerCode connectorNo transactionId } }';
/** Asked of every forwarded progress: whether it already holds the reading that woke the subscriber. */
const READING_AT = 'routerReadingAt';

/**
 * The order, asked of the graph as the subscriber: orders applies the data scope (its own
 * orders for SELF, the assigned stations' for station staff, the tenant's for the rest). Not
 * visible is not found: the subscription is refused, telling nothing of others' orders.
 */
async function visibleOrder(execute: GatewayExecutor, ctx: RouterContext, orderId: string): Promise<WatchedOrder> {
  const r = await execute(
    { query: ORDER_QUERY, operationName: 'RouterSubscriptionOrder', variables: { id: orderId } },
    { ...ctx, requestId: `${ctx.requestId}:order` },
  );
  const order = r.data?.order as WatchedOrder | null | undefined;
  if (order) return order;
  const first = r.errors?.[0];
  if (first) throw new GraphQLError(first.message, { extensions: first.extensions });
  throw new GraphQLError('No such order', { extensions: { code: 'NOT_FOUND' } });
}

/** A reading of this order's session: its connector, and its transaction once the order knows it. */
const ofOrder = (o: WatchedOrder) => (n: MeterReadingNotice) =>
  n.chargerCode === o.chargerCode &&
  n.connectorNo === o.connectorNo &&
  (o.transactionId === null || n.transactionId === null || n.transactionId === o.transactionId);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The subscriber's selection on `orderProgress`, as `order(id) { progress { … } }`, with the reading's time under an alias of the router's. */
function progressRequest(orderId: string, info: GraphQLResolveInfo) {
  const selections = info.fieldNodes.flatMap((f) => f.selectionSet?.selections ?? []);
  const readingAt: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: READING_AT }, name: { kind: Kind.NAME, value: 'readingAt' } };
  const progress: FieldNode = {
    kind: Kind.FIELD,
    name: { kind: Kind.NAME, value: 'progress' },
    selectionSet: { kind: Kind.SELECTION_SET, selections: [...selections, readingAt] },
  };
  return selectionToGatewayQuery({
    operationName: 'RouterSubscriptionOrderProgress',
    rootField: 'order',
    args: { id: { type: 'ID!', value: orderId } },
    info: { ...info, fieldNodes: [{ ...info.fieldNodes[0], selectionSet: { kind: Kind.SELECTION_SET, selections: [progress] } }] },
  });
}

/** Whether a progress holds the reading (or there is none to wait for: the order ended, the event named no time). */
function holds(value: Record<string, unknown> | null, wanted: number | null): boolean {
  const at = value?.[READING_AT];
  return value === null || wanted === null || (typeof at === 'string' && Date.parse(at) >= wanted);
}

type Progress = Record<string, unknown> | null;

/**
 * The order's progress through the gateway as the subscriber. Orders applies the reading from
 * the same charger event the router saw, a moment or some seconds later: asked again, ever
 * less often (Freshness), while the progress is older than the reading and the subscriber is
 * still there; then what there is, is returned. Without a notice (the subscriber's first push):
 * what orders holds now.
 */
async function progressOf(
  deps: OrderProgressResolverDeps,
  n: MeterReadingNotice | null,
  orderId: string,
  ctx: RouterContext,
  info: GraphQLResolveInfo,
  gone: () => boolean,
): Promise<Progress> {
  const request = progressRequest(orderId, info);
  const { intervalMs, maxIntervalMs, maxWaitMs } = deps.freshness ?? DEFAULT_FRESHNESS;
  const wanted = n?.at ? Date.parse(n.at) : null;
  const forwarded: RouterContext = { identity: ctx.identity, requestId: randomUUID(), log: ctx.log };
  const deadline = Date.now() + maxWaitMs;
  for (let wait = intervalMs; ; wait = Math.min(wait * 2, maxIntervalMs)) {
    const r = await deps.execute({ query: request.query, operationName: request.operationName, variables: request.variables }, forwarded);
    if (r.errors?.length && !r.data?.order) throw new GraphQLError(r.errors[0].message, { extensions: r.errors[0].extensions });
    const value = (r.data?.order as { progress?: Progress } | null)?.progress ?? null;
    if (holds(value, wanted) || gone() || Date.now() + wait > deadline) return value;
    await sleep(wait);
  }
}

/** Where a subscriber's pushes stand: nothing yet, a progress at a reading (null: before the first), or the session's end (null progress). */
export type PushedProgress = { kind: 'NONE' } | { kind: 'AT'; readingAt: number | null } | { kind: 'ENDED' };

/** The reading time a progress carries (the router's own alias), ms; null before the first reading. */
const readingAtOf = (p: Record<string, unknown>): number | null => (typeof p[READING_AT] === 'string' ? Date.parse(p[READING_AT]) : null);

/**
 * Whether `next` moves the subscriber forward from what it was pushed last: a later reading,
 * a first reading after none, or the end of the session (the order no longer active, its
 * progress null). An older or the same reading is not pushed: two answers can cross (a late
 * notice of a reading the first push held already, a read that lags), and a subscriber is
 * never shown the session going backwards. Reading times are the order's own: its readings
 * are unique by time (orders keys them so), so a later time is a later state.
 */
export function movesForward(last: PushedProgress, next: Progress): PushedProgress | null {
  if (last.kind === 'ENDED') return null;
  if (next === null) return { kind: 'ENDED' };
  const at = readingAtOf(next);
  if (last.kind === 'NONE') return { kind: 'AT', readingAt: at };
  return at !== null && (last.readingAt === null || at > last.readingAt) ? { kind: 'AT', readingAt: at } : null;
}

/** What a subscriber is pushed: a progress, or the error asking for it gave (delivered as that push's error, the stream goes on). */
type ProgressPush = { progress: Progress } | { error: unknown };

/**
 * The subscriber's stream: the progress orders holds now, asked once the subscriber is on the
 * hub (so a reading applied meanwhile is either in that answer or wakes a later ask), then the
 * progress at each reading of the order's session, only ever forward (movesForward). `return`
 * goes straight to the hub, so unsubscribing never waits for a reading.
 */
function currentThenForward(
  notices: HubIterator<MeterReadingNotice>,
  ask: (n: MeterReadingNotice | null, gone: () => boolean) => Promise<Progress>,
): HubIterator<ProgressPush> {
  let last: PushedProgress = { kind: 'NONE' };
  let first = true;
  // an ask still waiting for orders stops once the subscriber has gone
  let gone = false;
  const it: HubIterator<ProgressPush> = {
    async next() {
      for (;;) {
        let notice: MeterReadingNotice | null = null;
        if (!first) {
          const r = await notices.next();
          if (r.done) return { value: undefined, done: true };
          notice = r.value;
        }
        first = false;
        let progress: Progress;
        try {
          progress = await ask(notice, () => gone);
        } catch (error) {
          return { value: { error }, done: false };
        }
        const moved = movesForward(last, progress);
        if (moved) {
          last = moved;
          return { value: { progress }, done: false };
        }
      }
    },
    return: async () => {
      gone = true;
      await notices.return();
      return { value: undefined, done: true };
    },
    throw: (e?: unknown) => ((gone = true), void notices.return(), Promise.reject(e)),
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

export function orderProgressResolvers(deps: OrderProgressResolverDeps): RouterResolvers {
  return {
    Subscription: {
      orderProgress: {
        subscribe: async (_src: unknown, args: { orderId: string }, ctx: RouterContext, info: GraphQLResolveInfo) => {
          const tenantId = requireTenant(ctx.identity, 'Subscription.orderProgress');
          // Authorised as reading the order is: the subscriber must see order(id) through the graph.
          const order = await visibleOrder(deps.execute, ctx, args.orderId);
          // On the hub before the first ask: a reading orders applies after that ask still wakes the subscriber.
          const notices = deps.hub.subscribe(tenantId, ofOrder(order));
          return currentThenForward(notices, (n, gone) => progressOf(deps, n, args.orderId, ctx, info, gone));
        },
        resolve: (push: ProgressPush) => {
          if ('error' in push) throw push.error;
          return push.progress;
        },
      },
    },
  };
}
