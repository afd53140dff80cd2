import DataLoader from 'dataloader';
import { Ctx, Field, ID, ObjectType, Query, Resolver, Directive } from 'type-graphql';
import type { BaseRequestContext } from '@evcs/platform';
import type { Repository, Row } from '../persistence/repository';

export interface Context extends BaseRequestContext {
  repo: Repository;
  byId: DataLoader<string, Row | null>;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A tenant: the platform, an operator or a partner, in a hierarchy.' })
export class Tenant {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field() type!: string;
  @Field() status!: string;
}

export const toTenant = (r: Row): Tenant => Object.assign(new Tenant(), { id: r.id, code: r.code, name: r.name, type: r.type, status: r.status });

@Resolver(() => Tenant)
export class TenantResolver {
  @Query(() => Tenant, { nullable: true, description: "The caller's own tenant." })
  async currentTenant(@Ctx() ctx: Context): Promise<Tenant | null> {
    const row = await ctx.repo.current(ctx.tenantId());
    return row ? toTenant(row) : null;
  }
}

export const referenceResolvers = {
  Tenant: {
    __resolveReference: async (ref: { id: string }, ctx: Context) => {
      const row = await ctx.byId.load(ref.id);
      return row ? toTenant(row) : null;
    },
  },
};
