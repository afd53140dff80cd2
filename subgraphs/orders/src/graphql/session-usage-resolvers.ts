import { Arg, Ctx, Directive, ID, Int, Query, Resolver } from 'type-graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { z } from 'zod';
import { AppError, connectionOf, cursorCodec, ErrorCodes, isUuid, moneyObject, pageWindow, readScopeOf, requireServiceScope } from '@evcs/platform';
import type { OrdersContext } from '../context';
import { pricingRequest } from '../domain/pricing-input';
import { SessionUsage, SessionUsagePage, SessionUsageReading } from './session-usage-types';

/** Longest window one scan may cover (a quarter and a bit): tariffImpact's bound, held here too. */
export const MAX_USAGE_WINDOW_MS = 93 * 86_400_000;

/** A row of the read (its type, without importing persistence here). */
type CompletedSession = Awaited<ReturnType<OrdersContext['reads']['orders']['completedSessions']>>[number];

const usageCursor = cursorCodec('session-usage', z.object({ at: z.string().datetime(), id: z.string().refine(isUuid) }));

const toUsage = ({ order: o, readings }: CompletedSession): SessionUsage => {
  // The same input the stop and reconciliation price from (pricingRequest), so a draft is compared like for like.
  const req = pricingRequest(o, readings, o.startedAt!, o.stoppedAt!, o.meterStopWh);
  return Object.assign(new SessionUsage(), {
    orderId: o.id,
    chargerId: o.chargerId,
    startedAt: req.startedAt,
    stoppedAt: req.stoppedAt,
    energyWh: String(req.energyWh),
    readings: req.readings.map((r) => Object.assign(new SessionUsageReading(), { at: r.at, registerWh: String(r.registerWh) })),
    billed: moneyObject(o.amount!),
  });
};

@Resolver()
export class SessionUsageResolver {
  @Directive('@inaccessible')
  @Query(() => SessionUsagePage, {
    description:
      "Internal, service identities with completed-sessions:read only: a station's completed, priced sessions of the token's tenant that started in [from, to), oldest first, keyset-paged.",
  })
  async completedSessionsForPricing(
    @Ctx() ctx: OrdersContext,
    @Arg('stationId', () => ID) stationId: string,
    @Arg('from', () => GraphQLDateTimeISO) from: Date,
    @Arg('to', () => GraphQLDateTimeISO) to: Date,
    @Arg('first', () => Int, { defaultValue: 500 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<SessionUsagePage> {
    requireServiceScope(ctx.identity, 'completed-sessions:read', 'completedSessionsForPricing');
    // The token's one tenant (a service token acts for one tenant, TENANT scope): only its rows, by RLS and by filter.
    const scope = readScopeOf(ctx.identity);
    if (!isUuid(stationId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'stationId is not a UUID');
    if (to.getTime() <= from.getTime() || to.getTime() - from.getTime() > MAX_USAGE_WINDOW_MS)
      throw new AppError(ErrorCodes.BAD_USER_INPUT, '`to` must be after `from`, at most 93 days later');
    // Forwards only (a scan, not a console list): the shared window and page, in this page's shape.
    const window = pageWindow({ first, after }, { codec: usageCursor, defaultSize: 500, max: 2000 });
    const rows = await ctx.reads.orders.completedSessions(scope, stationId, { from, to }, window);
    const { edges, pageInfo } = connectionOf(rows, window, { key: (s) => ({ at: s.order.startedAt!.toISOString(), id: s.order.id }), node: toUsage });
    return Object.assign(new SessionUsagePage(), { sessions: edges.map((e) => e.node), hasNextPage: pageInfo.hasNextPage, endCursor: pageInfo.endCursor });
  }
}
