import { Arg, Ctx, Directive, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { AppError, ErrorCodes } from '@evcs/platform';
import type { AssetsContext } from '../context';
import { toCharger, toConnector, toStation } from './mappers';
import { Charger, ChargerRegistration, Connector, Station } from './types';

@Resolver(() => Station)
export class StationResolver {
  @Query(() => [Station], { description: "The caller's tenant's stations, ordered by code." })
  async stations(@Ctx() ctx: AssetsContext, @Arg('first', () => Int, { defaultValue: 100 }) first: number): Promise<Station[]> {
    if (first < 1 || first > 500) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`first` must be between 1 and 500');
    return (await ctx.repo.listStations(ctx.readScope(), first)).map(toStation);
  }

  @Query(() => Station, { nullable: true })
  async station(@Ctx() ctx: AssetsContext, @Arg('id', () => ID) id: string): Promise<Station | null> {
    const row = await ctx.loaders.station.load(id);
    return row ? toStation(row) : null;
  }

  @FieldResolver(() => [Charger])
  async chargers(@Root() station: Station, @Ctx() ctx: AssetsContext): Promise<Charger[]> {
    return (await ctx.loaders.chargersByStation.load(station.id)).map(toCharger);
  }
}

@Resolver(() => Charger)
export class ChargerResolver {
  @Query(() => Charger, { nullable: true })
  async charger(@Ctx() ctx: AssetsContext, @Arg('id', () => ID) id: string): Promise<Charger | null> {
    const row = await ctx.loaders.charger.load(id);
    return row ? toCharger(row) : null;
  }

  @Query(() => Charger, { nullable: true, description: 'A charger by the identity it connects with.' })
  async chargerByCode(@Ctx() ctx: AssetsContext, @Arg('code') code: string): Promise<Charger | null> {
    const row = await ctx.loaders.chargerByCode.load(code);
    return row ? toCharger(row) : null;
  }

  @Directive('@inaccessible')
  @Query(() => ChargerRegistration, { nullable: true, description: 'Internal, service identities only.' })
  async chargerRegistration(@Ctx() ctx: AssetsContext, @Arg('code') code: string): Promise<ChargerRegistration | null> {
    if (ctx.identity.kind !== 'service') throw new AppError(ErrorCodes.FORBIDDEN, 'chargerRegistration is for platform services only');
    const row = await ctx.repo.resolveRegistration(code);
    return row ? Object.assign(new ChargerRegistration(), { chargerId: row.charger_id, tenantId: row.tenant_id, stationId: row.station_id }) : null;
  }

  @FieldResolver(() => Station, { nullable: true })
  async station(@Root() charger: Charger, @Ctx() ctx: AssetsContext): Promise<Station | null> {
    const row = await ctx.loaders.station.load(charger.stationId);
    return row ? toStation(row) : null;
  }

  @FieldResolver(() => [Connector])
  async connectors(@Root() charger: Charger, @Ctx() ctx: AssetsContext): Promise<Connector[]> {
    return (await ctx.loaders.connectorsByCharger.load(charger.id)).map(toConnector);
  }
}

@Resolver(() => Connector)
export class ConnectorResolver {
  @FieldResolver(() => Charger, { nullable: true })
  async charger(@Root() connector: Connector, @Ctx() ctx: AssetsContext): Promise<Charger | null> {
    const row = await ctx.loaders.charger.load(connector.chargerId);
    return row ? toCharger(row) : null;
  }
}

export const resolvers = [StationResolver, ChargerResolver, ConnectorResolver] as const;

/** Entity references other subgraphs hand us; loaded through the per-request loaders. */
export const referenceResolvers = {
  Station: { __resolveReference: async (ref: { id: string }, ctx: AssetsContext) => { const r = await ctx.loaders.station.load(ref.id); return r ? toStation(r) : null; } },
  Charger: { __resolveReference: async (ref: { id: string }, ctx: AssetsContext) => { const r = await ctx.loaders.charger.load(ref.id); return r ? toCharger(r) : null; } },
  Connector: { __resolveReference: async (ref: { id: string }, ctx: AssetsContext) => { const r = await ctx.loaders.connector.load(ref.id); return r ? toConnector(r) : null; } },
};
