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
@ObjectType({ description: 'A time-of-use tariff plan (segments and pricing arrive with the tariff work).' })
export class TariffPlan {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() currency!: string;
  @Field() status!: string;
}

export const toTariffPlan = (r: Row): TariffPlan => Object.assign(new TariffPlan(), { id: r.id, name: r.name, currency: r.currency, status: r.status });

@Resolver(() => TariffPlan)
export class TariffPlanResolver {
  @Query(() => [TariffPlan], { description: "The caller's tenant's tariff plans." })
  async tariffPlans(@Ctx() ctx: Context, @Arg('first', () => Int, { defaultValue: 50 }) first: number): Promise<TariffPlan[]> {
    if (first < 1 || first > 500) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`first` must be between 1 and 500');
    return (await ctx.repo.list(ctx.tenantId(), first)).map(toTariffPlan);
  }
}

export const referenceResolvers = {
  TariffPlan: {
    __resolveReference: async (ref: { id: string }, ctx: Context) => {
      const row = await ctx.byId.load(ref.id);
      return row ? toTariffPlan(row) : null;
    },
  },
};
