import { energyObject, moneyObject } from '@evcs/platform';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { OrdersContext } from '../context';
import type { SessionProgress } from '../domain/progress';
import { ACTIVE_STATES } from '../domain/states';
import { ChargingOrder, OrderProgress } from './types';

export const toProgress = (p: SessionProgress): OrderProgress =>
  Object.assign(new OrderProgress(), {
    readingAt: p.latest?.at ?? null,
    meter: p.meterWh === null ? null : energyObject(p.meterWh),
    energy: energyObject(p.energyWh),
    powerW: p.latest?.powerW ?? null,
    socPercent: p.latest?.socPercent ?? null,
    cost: p.cost ? moneyObject(p.cost) : null,
  });

@Resolver(() => ChargingOrder)
export class OrderProgressResolver {
  @FieldResolver(() => OrderProgress, {
    nullable: true,
    description:
      'A running session (PENDING, CHARGING, FINISHING) at its latest meter reading: energy, power, state of charge, cost so far. Null once it ended.',
  })
  async progress(@Root() o: ChargingOrder, @Ctx() ctx: OrdersContext): Promise<OrderProgress | null> {
    // An ended order has no progress: its readings are not even read.
    if (!ACTIVE_STATES.includes(o.record.state)) return null;
    const p = await ctx.services.progress.progress(o.record, await ctx.loaders.readings.load(o.id));
    return p ? toProgress(p) : null;
  }
}
