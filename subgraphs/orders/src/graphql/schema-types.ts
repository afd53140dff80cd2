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
@ObjectType({ description: 'A charging session, from plug to bill (lifecycle arrives with the orders work).' })
export class ChargingOrder {
  @Field(() => ID) id!: string;
  @Field() status!: string;
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) endedAt!: Date | null;
}

export const toChargingOrder = (r: Row): ChargingOrder => Object.assign(new ChargingOrder(), { id: r.id, status: r.status, startedAt: r.started_at, endedAt: r.ended_at });

@Resolver(() => ChargingOrder)
export class ChargingOrderResolver {
  @Query(() => [ChargingOrder], { description: "The caller's tenant's charging orders, newest first." })
  async orders(@Ctx() ctx: Context, @Arg('first', () => Int, { defaultValue: 50 }) first: number): Promise<ChargingOrder[]> {
    if (first < 1 || first > 500) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`first` must be between 1 and 500');
    return (await ctx.repo.list(ctx.tenantId(), first)).map(toChargingOrder);
  }
}

export const referenceResolvers = {
  ChargingOrder: {
    __resolveReference: async (ref: { id: string }, ctx: Context) => {
      const row = await ctx.byId.load(ref.id);
      return row ? toChargingOrder(row) : null;
    },
  },
};
