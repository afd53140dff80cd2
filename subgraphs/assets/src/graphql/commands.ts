import { randomInt } from 'node:crypto';
import { CommandSpec } from '@evcs/events';
import { connectionOf, cursorCodec, isUuid, PageInfoObject as PageInfo, pageWindow, RelayPageArgs, userErrorsOf } from '@evcs/platform';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import { z } from 'zod';
import type { AssetsContext } from '../context';
import type { ChargerCommandRecord, ConfigurationSnapshot } from '../domain/commands';
import { UserErrorCodes, type WriteResult } from '../domain/model';
import { Charger, UserError } from './types';

export const NEEDS = 'Needs charger:command (within the caller’s station scope); audited with who asked and the request id.';

export enum ChargerCommandType {
  RESET = 'charger.reset',
  UNLOCK_CONNECTOR = 'connector.unlock',
  CHANGE_AVAILABILITY = 'connector.change_availability',
  CHANGE_CONFIGURATION = 'config.change',
  GET_CONFIGURATION = 'config.get',
  TRIGGER_MESSAGE = 'message.trigger',
  CLEAR_CACHE = 'cache.clear',
  SYNC_TIME = 'time.sync',
  SET_WORKING_PARAMETERS = 'working_parameters.set',
  RESERVE_NOW = 'reservation.reserve',
  CANCEL_RESERVATION = 'reservation.cancel',
  UPDATE_FIRMWARE = 'firmware.update',
  GET_DIAGNOSTICS = 'diagnostics.get',
}
registerEnumType(ChargerCommandType, {
  name: 'ChargerCommandType',
  description: 'What a command asks of the charger.',
  valuesConfig: {
    RESET: { description: 'OCPP Reset (soft or hard); YKC 0x92 reboot (hard: now, soft: once idle)' },
    UNLOCK_CONNECTOR: { description: 'OCPP UnlockConnector' },
    CHANGE_AVAILABILITY: { description: 'OCPP ChangeAvailability' },
    CHANGE_CONFIGURATION: { description: 'OCPP ChangeConfiguration' },
    GET_CONFIGURATION: { description: 'OCPP GetConfiguration; the answer becomes Charger.configuration' },
    TRIGGER_MESSAGE: { description: 'OCPP TriggerMessage' },
    CLEAR_CACHE: { description: 'OCPP ClearCache (the authorization cache)' },
    SYNC_TIME: { description: 'YKC 0x56: set the pile’s clock to the platform’s' },
    SET_WORKING_PARAMETERS: { description: 'YKC 0x52: whether the pile may work, and its output limit' },
    RESERVE_NOW: { description: 'OCPP ReserveNow: the connector takes only the reserved id tag until the reservation expires' },
    CANCEL_RESERVATION: { description: 'OCPP CancelReservation' },
    UPDATE_FIRMWARE: { description: 'OCPP UpdateFirmware; progress is Charger.firmware' },
    GET_DIAGNOSTICS: { description: 'OCPP GetDiagnostics, uploaded to the platform; progress is Charger.diagnostics, the file Charger.diagnosticsFiles' },
  },
});

export enum ChargerCommandStatus {
  PENDING = 'PENDING',
  SENT = 'SENT',
  ACCEPTED = 'ACCEPTED',
  REJECTED = 'REJECTED',
  FAILED = 'FAILED',
  TIMED_OUT = 'TIMED_OUT',
}
registerEnumType(ChargerCommandStatus, {
  name: 'ChargerCommandStatus',
  description: 'Where a command is in its lifecycle: PENDING → SENT → ACCEPTED / REJECTED / FAILED, or TIMED_OUT.',
  valuesConfig: {
    PENDING: { description: 'Recorded; on its way to the charger’s bridge' },
    SENT: { description: 'The bridge handed it to the charger; its answer is awaited' },
    ACCEPTED: { description: 'The charger accepted (or did) it; `response` holds its answer' },
    REJECTED: { description: 'The charger refused it; `reason` says how it answered' },
    FAILED: { description: 'It never got an answer: `reason` is CHARGER_OFFLINE, TIMEOUT, EXPIRED, NOT_SUPPORTED, CALL_ERROR…' },
    TIMED_OUT: { description: 'No result came from the bridge by `deadlineAt` (a bridge that stopped mid-command); final' },
  },
});

export enum ResetKind {
  SOFT = 'SOFT',
  HARD = 'HARD',
}
registerEnumType(ResetKind, { name: 'ResetKind', description: 'SOFT: when idle / gracefully; HARD: at once.' });

export enum TriggerableMessage {
  BootNotification = 'BootNotification',
  DiagnosticsStatusNotification = 'DiagnosticsStatusNotification',
  FirmwareStatusNotification = 'FirmwareStatusNotification',
  Heartbeat = 'Heartbeat',
  MeterValues = 'MeterValues',
  StatusNotification = 'StatusNotification',
}
registerEnumType(TriggerableMessage, { name: 'TriggerableMessage', description: 'The messages OCPP 1.6 TriggerMessage can ask for.' });

@ObjectType({ description: 'A command sent to a charger, with its lifecycle and the charger’s answer. Readable with charger:command.' })
export class ChargerCommand {
  @Field(() => ID) id!: string;
  @Field(() => ID, { description: 'The charger it is for' }) chargerId!: string;
  @Field(() => ChargerCommandType) type!: ChargerCommandType;
  @Field(() => GraphQLJSONObject, { description: 'What was asked (the command’s arguments as sent)' }) params!: Record<string, unknown>;
  @Field(() => ChargerCommandStatus) status!: ChargerCommandStatus;
  @Field(() => String, { nullable: true, description: 'Why it was refused or failed, or a qualified acceptance (Scheduled, RebootRequired)' })
  reason!: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The charger’s answer as it sent it (decoded for YKC)' })
  response!: Record<string, unknown> | null;
  @Field({ description: 'The idempotency key it was sent with' }) idempotencyKey!: string;
  @Field({ description: 'Who asked: user id or service name' }) requestedBy!: string;
  @Field(() => String, { nullable: true, description: 'The API request that asked for it' }) requestId!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When the bridge handed it to the charger' }) sentAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it reached its final status' }) completedAt!: Date | null;
  @Field(() => Date, { description: 'Still open then, it is TIMED_OUT' }) deadlineAt!: Date;
}

@ObjectType()
class ChargerCommandEdge {
  @Field() cursor!: string;
  @Field(() => ChargerCommand) node!: ChargerCommand;
}

@ObjectType({ description: 'A page of a charger’s commands, newest first.' })
export class ChargerCommandConnection {
  @Field(() => [ChargerCommandEdge]) edges!: ChargerCommandEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType({ description: 'One configuration key as the charger reported it.' })
export class ChargerConfigurationKey {
  @Field() key!: string;
  @Field(() => String, { nullable: true, description: 'Its value; null if the charger gave none' }) value!: string | null;
  @Field({ description: 'The charger does not let it be changed' }) readonly!: boolean;
}

@ObjectType({ description: 'The last GetConfiguration answer of a charger.' })
export class ChargerConfiguration {
  @Field(() => [ChargerConfigurationKey]) keys!: ChargerConfigurationKey[];
  @Field(() => [String], { description: 'Keys asked for that the charger does not know' }) unknownKeys!: string[];
  @Field(() => ID, { description: 'The GET_CONFIGURATION command it answered' }) commandId!: string;
  @Field(() => Date, { description: 'When the charger answered' }) takenAt!: Date;
}

@ObjectType({
  description: 'A connector reservation the charger accepted: until it expires, is cancelled or is used by a session, the connector takes only its id tag.',
})
export class ChargerReservation {
  @Field(() => Int, { description: 'The id the charger knows it by (CancelReservation takes it)' }) reservationId!: number;
  @Field(() => Int, { description: 'The reserved connector' }) connectorNo!: number;
  @Field({ description: 'The only id tag the connector takes meanwhile' }) idTag!: string;
  @Field(() => Date, { description: 'When it lapses' }) expiresAt!: Date;
  @Field(() => ID, { description: 'The RESERVE_NOW command that made it' }) commandId!: string;
}

@ObjectType({ description: 'The command (PENDING when just created; the same one again for a repeated idempotency key), or why not.' })
export class ChargerCommandPayload {
  @Field(() => ChargerCommand, { nullable: true }) command!: ChargerCommand | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

const KEY_DOC = 'Unique per command in the tenant: a retry with the same key returns the first command and sends nothing';

@InputType({ description: 'Which charger, and the key that makes a retry safe.' })
export class CommandTargetInput {
  @Field(() => ID) chargerId!: string;
  @Field({ description: KEY_DOC }) idempotencyKey!: string;
}

@InputType()
export class ResetChargerInput extends CommandTargetInput {
  @Field(() => ResetKind, { defaultValue: ResetKind.SOFT }) kind!: ResetKind;
}

@InputType()
export class UnlockConnectorInput extends CommandTargetInput {
  @Field(() => Int, { description: 'Connector number (1-based)' }) connectorNo!: number;
}

@InputType()
export class ChangeAvailabilityInput extends CommandTargetInput {
  @Field(() => Int, { description: 'Connector number; 0 = the whole charger' }) connectorNo!: number;
  @Field({ description: 'true: Operative, false: Inoperative' }) available!: boolean;
}

@InputType()
export class ChangeConfigurationInput extends CommandTargetInput {
  @Field({ description: 'The configuration key (≤ 50 characters)' }) key!: string;
  @Field({ description: 'Its new value (≤ 500 characters)' }) value!: string;
}

@InputType()
export class GetConfigurationInput extends CommandTargetInput {
  @Field(() => [String], { nullable: true, description: 'Only these keys; omit for all' }) keys?: string[] | null;
}

@InputType()
export class TriggerMessageInput extends CommandTargetInput {
  @Field(() => TriggerableMessage) message!: TriggerableMessage;
  @Field(() => Int, { nullable: true, description: 'For this connector only' }) connectorNo?: number | null;
}

@InputType()
export class ChargerCommandInput extends CommandTargetInput {}

@InputType()
export class ReserveConnectorInput extends CommandTargetInput {
  @Field(() => Int, { description: 'Connector number (1-based)' }) connectorNo!: number;
  @Field({ description: 'The id tag the connector is reserved for (≤ 20 characters)' }) idTag!: string;
  @Field(() => Date, { description: 'When the reservation lapses: in the future, at most 24 hours ahead' }) expiresAt!: Date;
}

@InputType()
export class CancelReservationInput extends CommandTargetInput {
  @Field(() => Int, { description: 'The reservation (ChargerReservation.reservationId)' }) reservationId!: number;
}

@InputType()
export class WorkingParametersInput extends CommandTargetInput {
  @Field({ description: 'false locks the pile: it starts no session' }) enabled!: boolean;
  @Field(() => Int, { description: 'Most it may output, percent of rated power (30–100)' }) maxOutputPercent!: number;
}

const specs = {
  reset: (i: ResetChargerInput): unknown => ({ type: 'charger.reset', kind: i.kind === ResetKind.HARD ? 'Hard' : 'Soft' }),
  unlock: (i: UnlockConnectorInput): unknown => ({ type: 'connector.unlock', connectorId: i.connectorNo }),
  availability: (i: ChangeAvailabilityInput): unknown => ({
    type: 'connector.change_availability',
    connectorId: i.connectorNo,
    availability: i.available ? 'Operative' : 'Inoperative',
  }),
  configure: (i: ChangeConfigurationInput): unknown => ({ type: 'config.change', key: i.key, value: i.value }),
  getConfiguration: (i: GetConfigurationInput): unknown => ({ type: 'config.get', ...(i.keys ? { keys: i.keys } : {}) }),
  trigger: (i: TriggerMessageInput): unknown => ({
    type: 'message.trigger',
    message: i.message,
    ...(i.connectorNo !== null && i.connectorNo !== undefined ? { connectorId: i.connectorNo } : {}),
  }),
};

/** Inputs the charger would refuse (or the command topic could not carry), as user errors naming the field. */
export function specOf(raw: unknown): WriteResult<CommandSpec> {
  // the contract's own schema: what the bridge accepts is what the API accepts
  const r = CommandSpec.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    errors: r.error.issues.map((i) => ({ code: UserErrorCodes.INVALID, field: `input.${fieldName(String(i.path[0] ?? ''))}`, message: i.message })),
  };
}
const FIELD_NAMES: Record<string, string> = {
  connectorId: 'connectorNo',
  availability: 'available',
  expiryDate: 'expiresAt',
  retrieveDate: 'retrieveAt',
  retryInterval: 'retryIntervalSeconds',
};
const fieldName = (p: string) => FIELD_NAMES[p] ?? p;

const toCommand = (c: ChargerCommandRecord): ChargerCommand =>
  Object.assign(new ChargerCommand(), {
    id: c.id,
    chargerId: c.chargerId,
    type: c.type as ChargerCommandType,
    params: c.params,
    status: c.status as ChargerCommandStatus,
    reason: c.reason,
    response: c.response,
    idempotencyKey: c.idempotencyKey,
    requestedBy: c.requestedBy,
    requestId: c.requestId,
    createdAt: c.createdAt,
    sentAt: c.sentAt,
    completedAt: c.completedAt,
    deadlineAt: c.deadlineAt,
  });

export const commandPayload = (r: WriteResult<ChargerCommandRecord>): ChargerCommandPayload =>
  Object.assign(new ChargerCommandPayload(), r.ok ? { command: toCommand(r.value), userErrors: [] } : { command: null, userErrors: userErrorsOf(r) });

const toConfiguration = (s: ConfigurationSnapshot): ChargerConfiguration =>
  Object.assign(new ChargerConfiguration(), {
    keys: s.keys.map((k) => Object.assign(new ChargerConfigurationKey(), k)),
    unknownKeys: s.unknownKeys,
    commandId: s.commandId,
    takenAt: s.takenAt,
  });

const commandCursor = cursorCodec('charger-command', z.object({ createdAt: z.string(), id: z.string().refine(isUuid) }));

/** Thin resolvers over CommandService: the actor (charger:command, tenant, stations) from the context. */
@Resolver(() => Charger)
export class ChargerCommandResolver {
  private async send(ctx: AssetsContext, input: CommandTargetInput, raw: unknown): Promise<ChargerCommandPayload> {
    const actor = ctx.commandActor();
    const spec = specOf(raw);
    return commandPayload(spec.ok ? await ctx.services.commands.issue(actor, input.chargerId, spec.value, input.idempotencyKey) : spec);
  }

  @Mutation(() => ChargerCommandPayload, {
    description: `Reserve a connector for one id tag until expiresAt (OCPP ReserveNow); the charger shows it Reserved, and it is on Charger.reservations once accepted. ${NEEDS}`,
  })
  async reserveConnector(@Ctx() ctx: AssetsContext, @Arg('input', () => ReserveConnectorInput) input: ReserveConnectorInput): Promise<ChargerCommandPayload> {
    const actor = ctx.commandActor();
    const shape = specOf({
      type: 'reservation.reserve',
      connectorId: input.connectorNo,
      idTag: input.idTag,
      expiryDate: input.expiresAt.toISOString(),
      reservationId: 1,
    });
    if (!shape.ok) return commandPayload(shape);
    // the id the charger knows the reservation by: 31 bits, chosen here
    const r = { connectorNo: input.connectorNo, idTag: input.idTag, expiresAt: input.expiresAt, reservationId: randomInt(1, 0x7fffffff) };
    return commandPayload(await ctx.services.commands.reserve(actor, input.chargerId, r, input.idempotencyKey));
  }

  @Mutation(() => ChargerCommandPayload, { description: `Cancel a reservation (OCPP CancelReservation). ${NEEDS}` })
  cancelReservation(@Ctx() ctx: AssetsContext, @Arg('input', () => CancelReservationInput) input: CancelReservationInput): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, { type: 'reservation.cancel', reservationId: input.reservationId });
  }

  @FieldResolver(() => [ChargerReservation], {
    description:
      'Its live reservations (accepted, not cancelled, not expired, not yet used by a session: a start on the reserved connector with the reservation or its id tag uses it up), the soonest to lapse first. Needs charger:command.',
  })
  async reservations(@Root() charger: Charger, @Ctx() ctx: AssetsContext): Promise<ChargerReservation[]> {
    const rows = await ctx.reads.commands.reservations(ctx.commandScope(), charger.id, new Date());
    return rows.map((r) => Object.assign(new ChargerReservation(), r));
  }

  @Mutation(() => ChargerCommandPayload, { description: `Restart a charger: OCPP Reset, YKC 0x92 reboot. ${NEEDS}` })
  resetCharger(@Ctx() ctx: AssetsContext, @Arg('input', () => ResetChargerInput) input: ResetChargerInput): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, specs.reset(input));
  }

  @Mutation(() => ChargerCommandPayload, { description: `Release a connector’s cable lock (OCPP UnlockConnector). ${NEEDS}` })
  unlockConnector(@Ctx() ctx: AssetsContext, @Arg('input', () => UnlockConnectorInput) input: UnlockConnectorInput): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, specs.unlock(input));
  }

  @Mutation(() => ChargerCommandPayload, {
    description: `Make a connector (or the whole charger) operative or inoperative (OCPP ChangeAvailability). ${NEEDS}`,
  })
  changeConnectorAvailability(
    @Ctx() ctx: AssetsContext,
    @Arg('input', () => ChangeAvailabilityInput) input: ChangeAvailabilityInput,
  ): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, specs.availability(input));
  }

  @Mutation(() => ChargerCommandPayload, { description: `Set one configuration key (OCPP ChangeConfiguration). ${NEEDS}` })
  changeChargerConfiguration(
    @Ctx() ctx: AssetsContext,
    @Arg('input', () => ChangeConfigurationInput) input: ChangeConfigurationInput,
  ): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, specs.configure(input));
  }

  @Mutation(() => ChargerCommandPayload, {
    description: `Read the charger’s configuration (OCPP GetConfiguration); the answer is kept as Charger.configuration. ${NEEDS}`,
  })
  getChargerConfiguration(@Ctx() ctx: AssetsContext, @Arg('input', () => GetConfigurationInput) input: GetConfigurationInput): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, specs.getConfiguration(input));
  }

  @Mutation(() => ChargerCommandPayload, { description: `Ask the charger to send a message now (OCPP TriggerMessage). ${NEEDS}` })
  triggerChargerMessage(@Ctx() ctx: AssetsContext, @Arg('input', () => TriggerMessageInput) input: TriggerMessageInput): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, specs.trigger(input));
  }

  @Mutation(() => ChargerCommandPayload, { description: `Clear the charger’s authorization cache (OCPP ClearCache). ${NEEDS}` })
  clearChargerCache(@Ctx() ctx: AssetsContext, @Arg('input', () => ChargerCommandInput) input: ChargerCommandInput): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, { type: 'cache.clear' });
  }

  @Mutation(() => ChargerCommandPayload, { description: `Set a YKC pile’s clock to the platform’s (0x56; the answer carries the pile’s time). ${NEEDS}` })
  syncChargerTime(@Ctx() ctx: AssetsContext, @Arg('input', () => ChargerCommandInput) input: ChargerCommandInput): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, { type: 'time.sync' });
  }

  @Mutation(() => ChargerCommandPayload, { description: `Set a YKC pile’s working parameters (0x52): whether it may work, its output limit. ${NEEDS}` })
  setYkcWorkingParameters(
    @Ctx() ctx: AssetsContext,
    @Arg('input', () => WorkingParametersInput) input: WorkingParametersInput,
  ): Promise<ChargerCommandPayload> {
    return this.send(ctx, input, { type: 'working_parameters.set', enabled: input.enabled, maxOutputPercent: input.maxOutputPercent });
  }

  @Query(() => ChargerCommand, { nullable: true, description: 'A command by id, in the caller’s tenants. Needs charger:command.' })
  async chargerCommand(@Ctx() ctx: AssetsContext, @Arg('id', () => ID) id: string): Promise<ChargerCommand | null> {
    const scope = ctx.commandScope();
    if (!isUuid(id)) return null;
    const c = await ctx.reads.commands.byId(scope, id);
    if (!c) return null;
    // within the caller's stations: the charger must be visible to it
    return (await ctx.loaders.charger.load(c.chargerId)) ? toCommand(c) : null;
  }

  @FieldResolver(() => ChargerCommandConnection, {
    description: 'Commands sent to this charger, newest first (Relay cursor pagination; pages of 20, at most 100). Needs charger:command.',
  })
  async commands(@Root() charger: Charger, @Ctx() ctx: AssetsContext, @Args(() => RelayPageArgs) page: RelayPageArgs): Promise<ChargerCommandConnection> {
    const scope = ctx.commandScope();
    const window = pageWindow(page, { codec: commandCursor, defaultSize: 20, max: 100 });
    const rows = await ctx.reads.commands.pageByCharger(scope, charger.id, window);
    return Object.assign(
      new ChargerCommandConnection(),
      connectionOf(rows, window, { key: (r) => ({ createdAt: r.createdAt.toISOString(), id: r.id }), node: toCommand }),
    );
  }

  @FieldResolver(() => ChargerConfiguration, {
    nullable: true,
    description: 'Its configuration as the last accepted GET_CONFIGURATION answered it; null before one. Needs charger:command.',
  })
  async configuration(@Root() charger: Charger, @Ctx() ctx: AssetsContext): Promise<ChargerConfiguration | null> {
    const s = await ctx.reads.commands.configuration(ctx.commandScope(), charger.id);
    return s ? toConfiguration(s) : null;
  }
}
