import DataLoader from 'dataloader';
import { Arg, Ctx, Field, ID, Int, ObjectType, Query, Resolver, Directive } from 'type-graphql';
import type { BaseRequestContext } from '@evcs/platform';
import { AppError, ErrorCodes } from '@evcs/platform';
import type { Repository, Row } from '../persistence/repository';

export interface Context extends BaseRequestContext {
  repo: Repository;
  byId: DataLoader<string, Row | null>;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A payment for a charging order (channels arrive with the payments work).' })
export class Payment {
  @Field(() => ID) id!: string;
  @Field() channel!: string;
  @Field() amountMinor!: string;
  @Field() currency!: string;
  @Field() status!: string;
}

export const toPayment = (r: Row): Payment => Object.assign(new Payment(), { id: r.id, channel: r.channel, amountMinor: String(r.amount_minor), currency: r.currency, status: r.status });

@Resolver(() => Payment)
export class PaymentResolver {
  @Query(() => [Payment], { description: "The caller's tenant's payments, newest first." })
  async payments(@Ctx() ctx: Context, @Arg('first', () => Int, { defaultValue: 50 }) first: number): Promise<Payment[]> {
    if (first < 1 || first > 500) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`first` must be between 1 and 500');
    return (await ctx.repo.list(ctx.tenantId(), first)).map(toPayment);
  }
}

export const referenceResolvers = {
  Payment: {
    __resolveReference: async (ref: { id: string }, ctx: Context) => {
      const row = await ctx.byId.load(ref.id);
      return row ? toPayment(row) : null;
    },
  },
};
