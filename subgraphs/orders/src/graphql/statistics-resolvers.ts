import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { AppError, energyObject, ErrorCodes, isTimeZone, isUuid, moneyObject, parseMoney } from '@evcs/platform';
import type { OrdersContext } from '../context';
import { daysWindow, MAX_STATISTICS_DAYS } from '../domain/day-window';
import { OrderStatistics, OrderStatisticsFilter, OrderStatisticsPoint, StatisticsBucket } from './statistics-types';

@Resolver()
export class OrderStatisticsResolver {
  @Query(() => OrderStatistics, {
    description: `Sessions, energy and revenue within your data scope, of the local days from..to (inclusive, at most ${MAX_STATISTICS_DAYS}) in an IANA zone, with a trend per local hour or day (order:read).`,
  })
  async orderStatistics(
    @Ctx() ctx: OrdersContext,
    @Arg('from', { description: 'The first local day, YYYY-MM-DD' }) from: string,
    @Arg('to', { description: 'The last local day, YYYY-MM-DD (inclusive)' }) to: string,
    @Arg('timezone', { description: 'IANA zone the days and buckets are in, e.g. Asia/Shanghai' }) timezone: string,
    @Arg('bucket', () => StatisticsBucket, { defaultValue: StatisticsBucket.HOUR }) bucket: StatisticsBucket,
    @Arg('filter', () => OrderStatisticsFilter, { nullable: true }) filter: OrderStatisticsFilter | null,
  ): Promise<OrderStatistics> {
    const scope = ctx.readScope();
    if (!isTimeZone(timezone)) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`timezone` must be an IANA time zone');
    const window = daysWindow(from, to, timezone);
    if (!window) throw new AppError(ErrorCodes.BAD_USER_INPUT, `\`from\`..\`to\` must be real days (YYYY-MM-DD), in order, at most ${MAX_STATISTICS_DAYS}`);
    if (filter?.stationIds?.some((i) => !isUuid(i))) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'ids in the filter must be UUIDs');
    const r = await ctx.reads.orders.statistics(
      scope,
      { stationIds: filter?.stationIds ?? undefined },
      window,
      bucket === StatisticsBucket.HOUR ? 'hour' : 'day',
      timezone,
    );
    return Object.assign(new OrderStatistics(), {
      timezone,
      from: window.from,
      to: window.to,
      sessions: r.buckets.reduce((n, b) => n + b.sessions, 0),
      energy: energyObject(String(r.buckets.reduce((wh, b) => wh + BigInt(b.wh), 0n))),
      revenue: r.revenue.map((x) => moneyObject(parseMoney(x.amount, x.currency))),
      buckets: r.buckets.map((b) => Object.assign(new OrderStatisticsPoint(), { start: b.start, sessions: b.sessions, energy: energyObject(b.wh) })),
    });
  }
}
