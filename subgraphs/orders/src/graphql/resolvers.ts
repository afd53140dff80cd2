import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  AppError,
  auditActorOf,
  auditLogResolver,
  connectionOf,
  cursorCodec,
  deadLetterResolver,
  energyObject,
  energyObjectFromKwh,
  ErrorCodes,
  ForbiddenError,
  isUuid,
  money,
  moneyObject,
  pageWindow,
  parseMoney,
  RelayPageArgs,
  requirePermission,
  userErrorsOf,
} from '@evcs/platform';
import { z } from 'zod';
import type { OrdersContext } from '../context';
import { ReconciliationResolver } from './recon-resolvers';
import { SessionUsageResolver } from './session-usage-resolvers';
import { OrderStatisticsResolver } from './statistics-resolvers';
import { OrderProgressResolver } from './progress-resolvers';
import { OrderTimelineResolver } from './timeline-resolvers';
import type { Bill as BillRecord, ChargerBill as ChargerBillRecord, OrderRecord } from '../domain/ports';
import type { Outcome } from '../domain/session-service';
import {
  Bill,
  BillItem,
  ChargerBill,
  ChargerBillTier,
  ChargerRef,
  ChargingOrder,
  OrderConnection,
  OrderFilter,
  OrderPayload,
  OrderSettings,
  OrderSettingsInput,
  OrderSettingsPayload,
  OrderState,
  SortDirection,
  StartChargingInput,
  StationRef,
} from './types';

// The pile bills to 10^-4 yuan; Money counts in the currency's minor unit, so its figures round half-up.
const pileMoney = (amount: string, currency: string) => moneyObject(parseMoney(amount, currency, 'HALF_UP'));

const toChargerBill = (b: ChargerBillRecord, currency: string): ChargerBill =>
  Object.assign(new ChargerBill(), {
    amount: pileMoney(b.amount, currency),
    amountExact: b.amount,
    energy: energyObject(b.energyWh),
    startedAt: new Date(b.startedAt),
    endedAt: new Date(b.endedAt),
    meterStart: energyObject(b.meterStartWh),
    meterStop: energyObject(b.meterStopWh),
    tiers: b.tiers.map((t) =>
      Object.assign(new ChargerBillTier(), {
        tier: t.tier,
        unitPrice: t.unitPrice,
        energy: energyObjectFromKwh(t.energyKwh),
        amount: pileMoney(t.amount, currency),
      }),
    ),
  });

const toBill = (b: BillRecord): Bill =>
  Object.assign(new Bill(), {
    ...b,
    electricityAmount: moneyObject(b.electricityAmount),
    serviceAmount: moneyObject(b.serviceAmount),
    total: moneyObject(b.total),
    items: b.items.map(({ energyWh, ...i }) =>
      Object.assign(new BillItem(), {
        ...i,
        energy: energyObject(energyWh),
        electricityAmount: moneyObject(i.electricityAmount),
        serviceAmount: moneyObject(i.serviceAmount),
      }),
    ),
  });

export const toOrder = (o: OrderRecord): ChargingOrder =>
  Object.assign(new ChargingOrder(), {
    id: o.id,
    tenantId: o.tenantId,
    state: o.state as OrderState,
    origin: o.origin,
    station: o.stationId ? Object.assign(new StationRef(), { id: o.stationId }) : null,
    charger: o.chargerId ? Object.assign(new ChargerRef(), { id: o.chargerId }) : null,
    chargerCode: o.chargerCode,
    connectorNo: o.connectorNo,
    userId: o.userId,
    transactionId: o.transactionId,
    startedAt: o.startedAt,
    stoppedAt: o.stoppedAt,
    energy: o.energyWh === null ? null : energyObject(o.energyWh),
    amount: o.amount === null ? null : moneyObject(o.amount),
    currency: o.currency,
    bill: o.bill ? toBill(o.bill) : null,
    chargerBill: o.chargerBill ? toChargerBill(o.chargerBill, o.currency) : null,
    preAuthorizedAmount: o.preAuthorizedFen === null ? null : moneyObject(money(o.preAuthorizedFen, o.currency)),
    failureReason: o.failureReason,
    stopReason: o.stopReason,
    reviewFlags: o.reviewFlags,
    createdAt: o.createdAt,
    record: o,
  });

const payload = (out: Outcome<OrderRecord>): OrderPayload =>
  out.ok ? { order: toOrder(out.value), userErrors: [] } : { order: null, userErrors: userErrorsOf(out) };

// Orders page by (start or creation time, id), newest first (cursors as before) or oldest first.
const orderCursor = cursorCodec('order', z.object({ at: z.string().datetime(), id: z.string().refine(isUuid) }));
const orderCursors = { [SortDirection.DESC]: orderCursor, [SortDirection.ASC]: orderCursor.inOrder(SortDirection.ASC) };

function caller(ctx: OrdersContext) {
  requirePermission(ctx.identity, 'order:write');
  if (ctx.identity.kind !== 'user') throw new ForbiddenError('charging sessions are started by users');
  return { tenantId: ctx.tenantId(), userId: ctx.identity.actor ? null : ctx.identity.subject };
}

function checkOrdersFilter(filter: OrderFilter | null): void {
  const ids = [...(filter?.stationIds ?? []), ...(filter?.chargerIds ?? []), ...(filter?.userId ? [filter.userId] : [])];
  if (ids.some((i) => !isUuid(i))) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'ids in the filter must be UUIDs');
  if (filter?.from && filter.to && filter.from >= filter.to) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`from` must be before `to`');
}

function listFilterOf(filter: OrderFilter | null): Parameters<OrdersContext['reads']['orders']['list']>[1] {
  return {
    stationIds: filter?.stationIds ?? undefined,
    chargerIds: filter?.chargerIds ?? undefined,
    userId: filter?.userId ?? undefined,
    states: filter?.states ?? undefined,
    from: filter?.from ?? undefined,
    to: filter?.to ?? undefined,
  };
}

@Resolver(() => ChargingOrder)
export class OrderResolver {
  @Query(() => OrderConnection, {
    description: 'Orders within your data scope, by start time (newest first unless asked otherwise); pages of 50, at most 500, either way.',
  })
  async orders(
    @Ctx() ctx: OrdersContext,
    @Arg('filter', () => OrderFilter, { nullable: true }) filter: OrderFilter | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
    @Arg('sort', () => SortDirection, { defaultValue: SortDirection.DESC }) sort: SortDirection,
  ): Promise<OrderConnection> {
    const window = pageWindow(page, { codec: orderCursors[sort], defaultSize: 50 });
    checkOrdersFilter(filter);
    const rows = await ctx.reads.orders.list(ctx.readScope(), listFilterOf(filter), { ...window, order: sort });
    return connectionOf(rows, window, { key: (r) => r.key, node: (r) => toOrder(r.order) });
  }

  @Query(() => ChargingOrder, { nullable: true })
  async order(@Arg('id', () => ID) id: string, @Ctx() ctx: OrdersContext): Promise<ChargingOrder | null> {
    if (!isUuid(id)) return null;
    const o = await ctx.loaders.order.load(id);
    return o ? toOrder(o) : null;
  }

  @Mutation(() => OrderPayload, { description: 'Start charging on a connector (order:write). The order is PENDING until the charger confirms.' })
  async startCharging(@Arg('input') input: StartChargingInput, @Ctx() ctx: OrdersContext): Promise<OrderPayload> {
    if (!isUuid(input.chargerId)) return { order: null, userErrors: [{ code: 'INVALID_INPUT', field: 'chargerId', message: 'Not a charger id' }] };
    const { preAuthorizedAmountMinor, ...rest } = input;
    return payload(await ctx.services.sessions.startCharging(caller(ctx), { ...rest, preAuthorizedFen: preAuthorizedAmountMinor ?? null }));
  }

  @Query(() => OrderSettings, { description: "The tenant's session settings (order:read)." })
  async orderSettings(@Ctx() ctx: OrdersContext): Promise<OrderSettings> {
    requirePermission(ctx.identity, 'order:read');
    const s = await ctx.services.sessions.sessionSettings(ctx.tenantId());
    return Object.assign(new OrderSettings(), { ykcPreAuthorizedAmountMinor: s.ykcPreAuthorizedFen });
  }

  @Mutation(() => OrderSettingsPayload, { description: "Change the tenant's session settings (tariff:write: they decide what a session may spend)." })
  async updateOrderSettings(@Arg('input') input: OrderSettingsInput, @Ctx() ctx: OrdersContext): Promise<OrderSettingsPayload> {
    requirePermission(ctx.identity, 'tariff:write');
    const out = await ctx.services.sessions.updateSessionSettings(
      { tenantId: ctx.tenantId(), userId: null },
      { ykcPreAuthorizedFen: input.ykcPreAuthorizedAmountMinor },
    );
    return out.ok
      ? { settings: Object.assign(new OrderSettings(), { ykcPreAuthorizedAmountMinor: out.value.ykcPreAuthorizedFen }), userErrors: [] }
      : { settings: null, userErrors: userErrorsOf(out) };
  }

  @Mutation(() => OrderPayload, { description: 'Ask the charger to stop (order:write). Repeating it is harmless.' })
  async stopCharging(@Arg('orderId', () => ID) orderId: string, @Ctx() ctx: OrdersContext): Promise<OrderPayload> {
    if (!isUuid(orderId)) return { order: null, userErrors: [{ code: 'NOT_FOUND', field: 'orderId', message: 'Unknown order' }] };
    return payload(await ctx.services.sessions.stopCharging(caller(ctx), orderId));
  }

  @Mutation(() => OrderPayload, { description: 'Close a session the charger will never close, billing what is known (order:write). Flagged FORCE_CLOSED.' })
  async forceCloseOrder(@Arg('orderId', () => ID) orderId: string, @Arg('reason') reason: string, @Ctx() ctx: OrdersContext): Promise<OrderPayload> {
    if (!isUuid(orderId)) return { order: null, userErrors: [{ code: 'NOT_FOUND', field: 'orderId', message: 'Unknown order' }] };
    return payload(await ctx.services.sessions.forceClose({ ...caller(ctx), audit: auditActorOf(ctx) }, { orderId, reason }));
  }
}

@Resolver(() => ChargerRef)
export class ChargerOrdersResolver {
  @FieldResolver(() => ChargingOrder, {
    nullable: true,
    description: 'The session running on this charger now (the newest, if several connectors are busy see activeOrders).',
  })
  async activeOrder(@Root() c: ChargerRef, @Ctx() ctx: OrdersContext): Promise<ChargingOrder | null> {
    const [o] = await ctx.loaders.activeByCharger.load(c.id);
    return o ? toOrder(o) : null;
  }

  @FieldResolver(() => [ChargingOrder], { description: 'Every active session of this charger, one per busy connector.' })
  async activeOrders(@Root() c: ChargerRef, @Ctx() ctx: OrdersContext): Promise<ChargingOrder[]> {
    return (await ctx.loaders.activeByCharger.load(c.id)).map(toOrder);
  }
}

@Resolver(() => StationRef)
export class StationOrdersResolver {
  @FieldResolver(() => [ChargingOrder], { description: 'Sessions running at this station now.' })
  async activeOrders(@Root() s: StationRef, @Ctx() ctx: OrdersContext): Promise<ChargingOrder[]> {
    return (await ctx.loaders.activeByStation.load(s.id)).map(toOrder);
  }
}

export const resolvers = [
  OrderResolver,
  ChargerOrdersResolver,
  StationOrdersResolver,
  ReconciliationResolver,
  SessionUsageResolver,
  OrderStatisticsResolver,
  OrderProgressResolver,
  OrderTimelineResolver,
  deadLetterResolver('orders'),
  auditLogResolver<OrdersContext>({ field: 'orderAuditLog', what: 'orders (force-closes)', reader: (ctx) => ctx.reads.audit }),
] as const;

export const referenceResolvers = {
  ChargingOrder: {
    __resolveReference: async (ref: { id: string }, ctx: OrdersContext) => {
      const o = isUuid(ref.id) ? await ctx.loaders.order.load(ref.id) : null;
      return o ? toOrder(o) : null;
    },
  },
  Charger: { __resolveReference: (ref: { id: string }) => Object.assign(new ChargerRef(), { id: ref.id }) },
  Station: { __resolveReference: (ref: { id: string }) => Object.assign(new StationRef(), { id: ref.id }) },
};
