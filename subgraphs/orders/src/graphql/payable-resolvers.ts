import { decodePaymentEvent, InvalidEventError } from '@evcs/events';
import { AppError, ErrorCodes, isCurrency, isUuid, moneyObject, MoneyObject, readScopeOf, requireServiceScope } from '@evcs/platform';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Arg, Ctx, Directive, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { OrdersContext } from '../context';
import { applyPaymentEvent } from '../events/payment-events-consumer';
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

@Resolver()
export class PaymentFactResolver {
  /**
   * Read-your-writes for what payments decides: a client told a payment or refund SUCCEEDED
   * reads the order PAID or REFUNDED at once, not when the event has crossed Kafka. The
   * argument is the very event payments committed to its outbox (the same contract, decoded
   * and validated the same way), applied by the same code as the consumer and recorded by its
   * id: whichever of the call and the event comes second is a duplicate and changes nothing.
   */
  @Directive('@inaccessible')
  @Mutation(() => String, {
    description:
      'Internal: apply a payment event (its JSON, as published on the payment events topic) ahead of its delivery (scope `order-payment:write`). Returns applied, duplicate, flagged, ignored or none.',
  })
  async applyPaymentEvent(@Arg('event') event: string, @Ctx() ctx: OrdersContext): Promise<string> {
    requireServiceScope(ctx.identity, 'order-payment:write', 'applyPaymentEvent');
    let decoded;
    try {
      decoded = decodePaymentEvent(event);
    } catch (e) {
      const message = e instanceof InvalidEventError ? e.message : 'not a payment event';
      throw new AppError(ErrorCodes.BAD_USER_INPUT, `event: ${message}`);
    }
    // the one tenant the service token acts for: an event of another tenant is not its to hand over
    if (decoded.tenantId !== ctx.tenantId()) throw new AppError(ErrorCodes.FORBIDDEN, 'the event belongs to another tenant than the token acts for');
    if ('currency' in decoded.data && !isCurrency(decoded.data.currency))
      throw new AppError(ErrorCodes.BAD_USER_INPUT, `unknown currency ${decoded.data.currency}`);
    return (await applyPaymentEvent(ctx.services.sessions, decoded)) ?? 'none';
  }
}
