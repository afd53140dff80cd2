import { Arg, Args, Ctx, Directive, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { connectionOf, isUuid, pageWindow, parseArgs, RelayPageArgs, requireServiceScope } from '@evcs/platform';
import { z } from 'zod';
import type { AssetsContext } from '../context';
import { CONNECTOR_DISPLAY_STATUSES } from '../domain/model';
import { codeKeyOf, cursors } from './cursor';
import { ChargerFilter, StationFilter } from './inputs';
import { toCharger, toConnector, toStation, toStats, toStatusChange } from './mappers';
import { Charger, ChargerConnection, ChargerRegistration, Connector, ConnectorStatusRecord, Station, StationConnection, StationStats } from './types';

/** Filter texts are short by nature; a long one is a mistake or an attempt to make the database work. */
const filterText = (name: string) => z.string().max(100, `\`filter.${name}\` must be at most 100 characters`).nullish();

const stationFilterArgs = z.object({ codePrefix: filterText('codePrefix'), search: filterText('search') }).nullish();

const chargerFilterArgs = z
  .object({
    connectorStatus: z
      .array(
        z.string().refine(
          (s) => (CONNECTOR_DISPLAY_STATUSES as readonly string[]).includes(s),
          (s) => ({ message: `unknown connector status ${JSON.stringify(s)}; one of ${CONNECTOR_DISPLAY_STATUSES.join(', ')}` }),
        ),
      )
      .nullish(),
    codePrefix: filterText('codePrefix'),
    search: filterText('search'),
    stationId: z
      .string()
      .refine((id) => !id || isUuid(id), '`filter.stationId` is not a station id')
      .nullish(),
  })
  .nullish();

const historyLength = z.number().refine((n) => Number.isInteger(n) && n >= 1 && n <= 100, '`last` must be between 1 and 100');

@Resolver(() => Station)
export class StationResolver {
  @Query(() => StationConnection, {
    description: "The caller's visible stations in code order, a page at a time (Relay cursor pagination; pages of 100, at most 500).",
  })
  async stations(
    @Ctx() ctx: AssetsContext,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
    @Arg('filter', () => StationFilter, { nullable: true }) filter: StationFilter | null,
  ): Promise<StationConnection> {
    const window = pageWindow(page, { codec: cursors.station, defaultSize: 100 });
    parseArgs(stationFilterArgs, filter);
    const scope = ctx.readScope();
    const f = filter ?? {};
    const rows = await ctx.reads.assets.pageStations(scope, f, window);
    return Object.assign(new StationConnection(), {
      ...connectionOf(rows, window, { key: codeKeyOf, node: toStation }),
      count: () => ctx.reads.assets.countStations(scope, f),
    });
  }

  @Query(() => Station, { nullable: true })
  async station(@Ctx() ctx: AssetsContext, @Arg('id', () => ID) id: string): Promise<Station | null> {
    if (!isUuid(id)) return null;
    const row = await ctx.loaders.station.load(id);
    return row ? toStation(row) : null;
  }

  @FieldResolver(() => [Charger], { description: 'Its active chargers, in code order' })
  async chargers(@Root() station: Station, @Ctx() ctx: AssetsContext): Promise<Charger[]> {
    return (await ctx.loaders.chargersByStation.load(station.id)).map(toCharger);
  }

  @FieldResolver(() => StationStats)
  async stats(@Root() station: Station, @Ctx() ctx: AssetsContext): Promise<StationStats> {
    const row = await ctx.loaders.stationStats.load(station.id);
    return toStats(row ?? { station_id: station.id, chargers_total: 0, chargers_online: 0, connectors_by_status: [] });
  }
}

@Resolver(() => Charger)
export class ChargerResolver {
  @Query(() => ChargerConnection, {
    description: "The caller's visible chargers in code order, a page at a time (Relay cursor pagination; pages of 100, at most 500).",
  })
  async chargers(
    @Ctx() ctx: AssetsContext,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
    @Arg('filter', () => ChargerFilter, { nullable: true }) filter: ChargerFilter | null,
  ): Promise<ChargerConnection> {
    const window = pageWindow(page, { codec: cursors.charger, defaultSize: 100 });
    parseArgs(chargerFilterArgs, filter);
    const scope = ctx.readScope();
    const f = { ...(filter ?? {}), stationIds: filter?.stationId ? [filter.stationId] : null };
    const rows = await ctx.reads.assets.pageChargers(scope, f, window);
    return Object.assign(new ChargerConnection(), {
      ...connectionOf(rows, window, { key: codeKeyOf, node: toCharger }),
      count: () => ctx.reads.assets.countChargers(scope, f),
    });
  }

  @Query(() => Charger, { nullable: true })
  async charger(@Ctx() ctx: AssetsContext, @Arg('id', () => ID) id: string): Promise<Charger | null> {
    if (!isUuid(id)) return null;
    const row = await ctx.loaders.charger.load(id);
    return row ? toCharger(row) : null;
  }

  @Query(() => Charger, { nullable: true, description: 'An active charger by the identity it connects with.' })
  async chargerByCode(@Ctx() ctx: AssetsContext, @Arg('code') code: string): Promise<Charger | null> {
    const row = await ctx.loaders.chargerByCode.load(code);
    return row ? toCharger(row) : null;
  }

  @Directive('@inaccessible')
  @Query(() => ChargerRegistration, { nullable: true, description: 'Internal, service identities only.' })
  async chargerRegistration(@Ctx() ctx: AssetsContext, @Arg('code') code: string): Promise<ChargerRegistration | null> {
    requireServiceScope(ctx.identity, 'charger-registration:read', 'chargerRegistration');
    const row = await ctx.reads.assets.resolveRegistration(code);
    if (!row) return null;
    return Object.assign(new ChargerRegistration(), {
      chargerId: row.charger_id,
      tenantId: row.tenant_id,
      stationId: row.station_id,
      protocol: row.protocol,
      securityProfile: row.security_profile,
      credentialHash: row.password_hash,
      ykcIdentity: row.ykc_identity,
      // A pile's own networks narrow (replace) its tenant's.
      allowedSourceCidrs: row.allowed_source_cidrs.length ? row.allowed_source_cidrs : row.tenant_allowed_source_cidrs,
      desKeyRef: row.des_key_ref,
      allowProfile0Commissioning: row.allow_profile0_commissioning,
      learnYkcIdentityOnFirstLogin: row.learn_ykc_identity_on_first_login,
      credentialRevokedAt: row.credential_revoked_at,
    });
  }

  @FieldResolver(() => Station, { nullable: true })
  async station(@Root() charger: Charger, @Ctx() ctx: AssetsContext): Promise<Station | null> {
    const row = await ctx.loaders.station.load(charger.stationId);
    return row ? toStation(row) : null;
  }

  @FieldResolver(() => [Connector], { description: 'Its active connectors, by number' })
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

  @FieldResolver(() => [ConnectorStatusRecord], { description: 'Its recorded statuses, newest first' })
  async statusHistory(
    @Root() connector: Connector,
    @Ctx() ctx: AssetsContext,
    @Arg('last', () => Int, { defaultValue: 20, description: '1..100' }) last: number,
  ): Promise<ConnectorStatusRecord[]> {
    parseArgs(historyLength, last);
    return (await ctx.loaders.statusHistory(last).load(connector.id)).map(toStatusChange);
  }
}

const ifUuid = <T>(id: string, load: () => Promise<T | null>): Promise<T | null> => (isUuid(id) ? load() : Promise.resolve(null));

/** Entity references other subgraphs hand us; loaded through the per-request loaders. */
export const referenceResolvers = {
  Station: {
    __resolveReference: (ref: { id: string }, ctx: AssetsContext) =>
      ifUuid(ref.id, async () => {
        const r = await ctx.loaders.station.load(ref.id);
        return r ? toStation(r) : null;
      }),
  },
  Charger: {
    __resolveReference: (ref: { id: string }, ctx: AssetsContext) =>
      ifUuid(ref.id, async () => {
        const r = await ctx.loaders.charger.load(ref.id);
        return r ? toCharger(r) : null;
      }),
  },
  Connector: {
    __resolveReference: (ref: { id: string }, ctx: AssetsContext) =>
      ifUuid(ref.id, async () => {
        const r = await ctx.loaders.connector.load(ref.id);
        return r ? toConnector(r) : null;
      }),
  },
};
