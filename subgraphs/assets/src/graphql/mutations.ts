import { userErrorsOf } from '@evcs/platform';
import { Arg, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import type { AssetsContext } from '../context';
import type { WriteResult } from '../domain/model';
import type { ChargerRecord, ConnectorRecord, StationRecord } from '../domain/records';
import { ConnectorInput, CreateChargerInput, CreateStationInput, UpdateChargerInput, UpdateConnectorInput, UpdateStationInput } from './inputs';
import { toCharger, toConnector, toStation } from './mappers';
import { ChargerPayload, ConnectorPayload, RegisteredCredential, StationPayload } from './types';

/**
 * Thin resolvers: the write actor (permission, tenant, station scope) comes
 * from the context, the AssetService does the rest. Business failures come
 * back as `userErrors` with nothing changed; authorisation failures and an
 * unavailable tenants service are GraphQL errors (FORBIDDEN,
 * DEPENDENCY_UNAVAILABLE with `retriable: true`).
 */
function payload<R, T, P>(result: WriteResult<R>, map: (r: R) => T, build: (value: T | null, errors: ReturnType<typeof userErrorsOf>) => P): P {
  return result.ok ? build(map(result.value), []) : build(null, userErrorsOf(result));
}

const stationPayload = (r: WriteResult<StationRecord>): StationPayload =>
  payload(r, toStation, (station, userErrors) => Object.assign(new StationPayload(), { station, userErrors }));
const chargerPayload = (r: WriteResult<ChargerRecord>): ChargerPayload =>
  payload(r, toCharger, (charger, userErrors) => Object.assign(new ChargerPayload(), { charger, credential: null, userErrors }));
const connectorPayload = (r: WriteResult<ConnectorRecord>): ConnectorPayload =>
  payload(r, toConnector, (connector, userErrors) => Object.assign(new ConnectorPayload(), { connector, userErrors }));

const VERSION_DOC = 'Apply only if the current version is this one (optimistic concurrency); omit to apply regardless';

@Resolver()
export class AssetMutations {
  @Mutation(() => StationPayload, { description: "Create a station in the caller's tenant (counts against the tenant's station quota). Needs station:write." })
  async createStation(@Ctx() ctx: AssetsContext, @Arg('input', () => CreateStationInput) input: CreateStationInput): Promise<StationPayload> {
    return stationPayload(await ctx.services.assets.createStation(ctx.writeActor(), input));
  }

  @Mutation(() => StationPayload, { description: 'Change a station. Station managers may change only their assigned stations.' })
  async updateStation(
    @Ctx() ctx: AssetsContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateStationInput) input: UpdateStationInput,
    @Arg('expectedVersion', () => Int, { nullable: true, description: VERSION_DOC }) expectedVersion: number | null,
  ): Promise<StationPayload> {
    return stationPayload(await ctx.services.assets.updateStation(ctx.writeActor(), id, input, expectedVersion ?? null));
  }

  @Mutation(() => StationPayload, {
    description: 'Close a station for good (status CLOSED, retiredAt set; kept for history). Refused while it has active chargers. Idempotent.',
  })
  async retireStation(
    @Ctx() ctx: AssetsContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: VERSION_DOC }) expectedVersion: number | null,
  ): Promise<StationPayload> {
    return stationPayload(await ctx.services.assets.retireStation(ctx.writeActor(), id, expectedVersion ?? null));
  }

  @Mutation(() => ChargerPayload, {
    description: "Register a charger at a station, optionally with its connectors (counts against the tenant's charger quota).",
  })
  async createCharger(@Ctx() ctx: AssetsContext, @Arg('input', () => CreateChargerInput) input: CreateChargerInput): Promise<ChargerPayload> {
    const { security, ...charger } = input;
    const actor = ctx.writeActor();
    // The defaults (profile 1, a generated password) go with registering; choosing otherwise is charger security.
    if (security) ctx.securityActor();
    const r = await ctx.services.assets.createCharger(
      actor,
      charger,
      security ? { ...security, ykcIdentity: security.ykcIdentity ? { ...security.ykcIdentity } : null } : {},
    );
    if (!r.ok) return Object.assign(new ChargerPayload(), { charger: null, credential: null, userErrors: userErrorsOf(r) });
    const credential =
      r.value.password === null
        ? null
        : Object.assign(new RegisteredCredential(), { password: r.value.password, securityProfile: security?.securityProfile ?? 1 });
    return Object.assign(new ChargerPayload(), { charger: toCharger(r.value.charger), credential, userErrors: [] });
  }

  @Mutation(() => ChargerPayload)
  async updateCharger(
    @Ctx() ctx: AssetsContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateChargerInput) input: UpdateChargerInput,
    @Arg('expectedVersion', () => Int, { nullable: true, description: VERSION_DOC }) expectedVersion: number | null,
  ): Promise<ChargerPayload> {
    return chargerPayload(await ctx.services.assets.updateCharger(ctx.writeActor(), id, input, expectedVersion ?? null));
  }

  @Mutation(() => ChargerPayload, {
    description:
      'Retire a charger with its connectors: it can no longer connect and its code is free for a new charger. Refused while a connector is in a session. Idempotent.',
  })
  async retireCharger(
    @Ctx() ctx: AssetsContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: VERSION_DOC }) expectedVersion: number | null,
  ): Promise<ChargerPayload> {
    return chargerPayload(await ctx.services.assets.retireCharger(ctx.writeActor(), id, expectedVersion ?? null));
  }

  @Mutation(() => ConnectorPayload)
  async createConnector(
    @Ctx() ctx: AssetsContext,
    @Arg('chargerId', () => ID) chargerId: string,
    @Arg('input', () => ConnectorInput) input: ConnectorInput,
  ): Promise<ConnectorPayload> {
    return connectorPayload(await ctx.services.assets.createConnector(ctx.writeActor(), chargerId, input));
  }

  @Mutation(() => ConnectorPayload)
  async updateConnector(
    @Ctx() ctx: AssetsContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateConnectorInput) input: UpdateConnectorInput,
    @Arg('expectedVersion', () => Int, { nullable: true, description: VERSION_DOC }) expectedVersion: number | null,
  ): Promise<ConnectorPayload> {
    return connectorPayload(await ctx.services.assets.updateConnector(ctx.writeActor(), id, input, expectedVersion ?? null));
  }

  @Mutation(() => ConnectorPayload, { description: 'Retire a connector (kept for history; its number stays taken). Refused while in a session. Idempotent.' })
  async retireConnector(
    @Ctx() ctx: AssetsContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: VERSION_DOC }) expectedVersion: number | null,
  ): Promise<ConnectorPayload> {
    return connectorPayload(await ctx.services.assets.retireConnector(ctx.writeActor(), id, expectedVersion ?? null));
  }
}
