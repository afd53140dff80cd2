import { isUuid, moneyObject, MoneyObject, readScopeOf, requireServiceScope } from '@evcs/platform';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Arg, Ctx, Directive, Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import type { OrdersContext } from '../context';
import { payableDescription } from '../domain/payable';
import { OrderState } from './types';

@Directive('@inaccessible')
@ObjectType({
  description:
    'Internal (payments): what orders holds of one order — its state and the amount to pay — so payments can take a payable order whose `order.completed` has not reached it yet.',
})
export class OrderForPayment {
  @Field(() => ID, { description: 'The order.' }) orderId!: string;
  @Field(() => ID, { description: 'The tenant the order belongs to (the calling token’s).' }) tenantId!: string;
  @Field(() => OrderState, { description: 'The order’s state: payments takes only TO_PAY as payable.' }) state!: OrderState;
  @Field(() => MoneyObject, { nullable: true, description: 'What is to be paid (the bill’s total); null until priced.' }) amount!: MoneyObject | null;
  @Field(() => ID, { nullable: true, description: 'The station charged at.' }) stationId!: string | null;
  @Field(() => String, { nullable: true, description: 'The driver who started the order.' }) userId!: string | null;
  @Field({ description: 'The text payments shows at the channel, the same as in `order.completed`.' }) description!: string;
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'When the session stopped.' }) stoppedAt!: Date | null;
}

@Resolver()
export class OrderForPaymentResolver {
  @Directive('@inaccessible')
  @Query(() => OrderForPayment, {
    nullable: true,
    description: 'Internal: one order of the calling service token’s tenant, for payments (scope `order-payable:read`). Service identities only.',
  })
  async orderForPayment(@Arg('orderId', () => ID) orderId: string, @Ctx() ctx: OrdersContext): Promise<OrderForPayment | null> {
    requireServiceScope(ctx.identity, 'order-payable:read', 'orderForPayment');
    if (!isUuid(orderId)) return null;
    // the one tenant the service token acts for (TENANT scope): RLS and the repository hold it
    const [o] = await ctx.reads.orders.byIds(readScopeOf(ctx.identity), [orderId]);
    if (!o) return null;
    return Object.assign(new OrderForPayment(), {
      orderId: o.id,
      tenantId: o.tenantId,
      state: o.state as OrderState,
      amount: o.amount === null ? null : moneyObject(o.amount),
      stationId: o.stationId,
      userId: o.userId,
      description: payableDescription(o),
      stoppedAt: o.stoppedAt,
    });
  }
}
