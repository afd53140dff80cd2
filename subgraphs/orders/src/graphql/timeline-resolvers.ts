import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { OrdersContext } from '../context';
import { type OrderTransition as TransitionRecord, transitionSource } from '../domain/timeline';
import { ChargerMessage, ChargingOrder, OrderState, OrderTransition, TransitionSource } from './types';

const toTransition = (t: TransitionRecord): OrderTransition =>
  Object.assign(new OrderTransition(), {
    at: t.at,
    from: t.from as OrderState | null,
    to: t.to as OrderState,
    cause: t.reason,
    source: transitionSource(t) as TransitionSource,
    chargerMessage: t.chargerMessage ? Object.assign(new ChargerMessage(), t.chargerMessage) : null,
  });

@Resolver(() => ChargingOrder)
export class OrderTimelineResolver {
  @FieldResolver(() => [OrderTransition], { description: 'Every state change of the order, oldest first, with its cause and source.' })
  async timeline(@Root() o: ChargingOrder, @Ctx() ctx: OrdersContext): Promise<OrderTransition[]> {
    return (await ctx.loaders.transitions.load(o.id)).map(toTransition);
  }
}
