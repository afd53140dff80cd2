import { isUuid } from '@evcs/platform';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import type { AssetsContext } from '../context';
import type { DiagnosticsFileRecord } from '../domain/diagnostics';
import { ChargerCommandPayload, CommandTargetInput, commandPayload, NEEDS, specOf } from './commands';
import { Charger } from './types';

export enum FirmwareStatus {
  Downloaded = 'Downloaded',
  DownloadFailed = 'DownloadFailed',
  Downloading = 'Downloading',
  Idle = 'Idle',
  InstallationFailed = 'InstallationFailed',
  Installing = 'Installing',
  Installed = 'Installed',
}
registerEnumType(FirmwareStatus, { name: 'FirmwareStatus', description: 'OCPP 1.6 FirmwareStatusNotification statuses.' });

export enum DiagnosticsStatus {
  Idle = 'Idle',
  Uploaded = 'Uploaded',
  UploadFailed = 'UploadFailed',
  Uploading = 'Uploading',
}
registerEnumType(DiagnosticsStatus, { name: 'DiagnosticsStatus', description: 'OCPP 1.6 DiagnosticsStatusNotification statuses.' });

@ObjectType({ description: 'A charger’s firmware: the version it booted with, and the progress of an update as it last reported it.' })
export class ChargerFirmware {
  @Field(() => FirmwareStatus, { nullable: true, description: 'Its last FirmwareStatusNotification; null before one' }) status!: FirmwareStatus | null;
  @Field(() => Date, { nullable: true, description: 'When it sent that status' }) updatedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'From its last BootNotification (firmwareVersion), if it sent one' }) version!: string | null;
}

@ObjectType({ description: 'The progress of a diagnostics upload as the charger last reported it.' })
export class ChargerDiagnosticsState {
  @Field(() => DiagnosticsStatus, { nullable: true, description: 'Its last DiagnosticsStatusNotification; null before one' }) status!: DiagnosticsStatus | null;
  @Field(() => Date, { nullable: true, description: 'When it sent that status' }) updatedAt!: Date | null;
}

@ObjectType({ description: 'A diagnostics file a charger uploaded (GET_DIAGNOSTICS).' })
export class ChargerDiagnosticsFile {
  @Field(() => ID) id!: string;
  @Field(() => ID) chargerId!: string;
  @Field({ description: 'The charger’s name for it (Content-Disposition), or one made from the id' }) fileName!: string;
  @Field(() => Int, { description: 'Bytes (at most 10 MiB)' }) size!: number;
  @Field({ description: 'SHA-256 of the content, hex' }) sha256!: string;
  @Field(() => Date) receivedAt!: Date;
}

@ObjectType({ description: 'A diagnostics file with its content.' })
export class ChargerDiagnosticsFileContent extends ChargerDiagnosticsFile {
  @Field({ description: 'The file, base64 (standard alphabet, padded); up to ~14 MB of text for a 10 MiB file' }) contentBase64!: string;
}

@InputType()
export class UpdateFirmwareInput extends CommandTargetInput {
  @Field({ description: 'Where the charger downloads the firmware: an http(s) URL, ≤ 512 characters' }) location!: string;
  @Field(() => Date, { description: 'From when it may download it (with an explicit zone)' }) retrieveAt!: Date;
  @Field(() => Int, { nullable: true, description: 'How often it retries a failed download (0–100)' }) retries?: number | null;
  @Field(() => Int, { nullable: true, description: 'Seconds between retries (0–86400)' }) retryIntervalSeconds?: number | null;
}

@InputType()
export class GetDiagnosticsInput extends CommandTargetInput {
  @Field(() => Date, { nullable: true, description: 'Diagnostics from this time on' }) startTime?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Diagnostics up to this time' }) stopTime?: Date | null;
}

const toFile = (f: DiagnosticsFileRecord): ChargerDiagnosticsFile => Object.assign(new ChargerDiagnosticsFile(), f);

/** Firmware updates and diagnostics: thin resolvers over CommandService and the diagnostics reads. */
@Resolver(() => Charger)
export class ChargerFirmwareResolver {
  @Mutation(() => ChargerCommandPayload, {
    description: `Have the charger download and install firmware (OCPP UpdateFirmware); it reports progress on Charger.firmware. ${NEEDS}`,
  })
  async updateChargerFirmware(@Ctx() ctx: AssetsContext, @Arg('input', () => UpdateFirmwareInput) input: UpdateFirmwareInput): Promise<ChargerCommandPayload> {
    const actor = ctx.commandActor();
    const spec = specOf({
      type: 'firmware.update',
      location: input.location,
      retrieveDate: input.retrieveAt.toISOString(),
      ...(input.retries !== null && input.retries !== undefined ? { retries: input.retries } : {}),
      ...(input.retryIntervalSeconds !== null && input.retryIntervalSeconds !== undefined ? { retryInterval: input.retryIntervalSeconds } : {}),
    });
    return commandPayload(spec.ok ? await ctx.services.commands.issue(actor, input.chargerId, spec.value, input.idempotencyKey) : spec);
  }

  @Mutation(() => ChargerCommandPayload, {
    description: `Have the charger upload its diagnostics to the platform (OCPP GetDiagnostics, to a one-time URL); the file appears on Charger.diagnosticsFiles. ${NEEDS}`,
  })
  async getChargerDiagnostics(@Ctx() ctx: AssetsContext, @Arg('input', () => GetDiagnosticsInput) input: GetDiagnosticsInput): Promise<ChargerCommandPayload> {
    const actor = ctx.commandActor();
    const window = { ...(input.startTime ? { startTime: input.startTime } : {}), ...(input.stopTime ? { stopTime: input.stopTime } : {}) };
    return commandPayload(await ctx.services.commands.getDiagnostics(actor, input.chargerId, window, input.idempotencyKey));
  }

  @FieldResolver(() => ChargerFirmware, { description: 'Its firmware version and the progress of an update.' })
  firmware(@Root() charger: Charger): ChargerFirmware {
    return Object.assign(new ChargerFirmware(), {
      status: charger.firmwareStatus as FirmwareStatus | null,
      updatedAt: charger.firmwareStatusAt,
      version: charger.firmwareVersion,
    });
  }

  @FieldResolver(() => ChargerDiagnosticsState, { description: 'The progress of a diagnostics upload.' })
  diagnostics(@Root() charger: Charger): ChargerDiagnosticsState {
    return Object.assign(new ChargerDiagnosticsState(), {
      status: charger.diagnosticsStatus as DiagnosticsStatus | null,
      updatedAt: charger.diagnosticsStatusAt,
    });
  }

  @FieldResolver(() => [ChargerDiagnosticsFile], { description: 'Diagnostics files it uploaded, newest first (the last 50). Needs charger:command.' })
  async diagnosticsFiles(@Root() charger: Charger, @Ctx() ctx: AssetsContext): Promise<ChargerDiagnosticsFile[]> {
    return (await ctx.reads.diagnostics.files(ctx.commandScope(), charger.id, 50)).map(toFile);
  }

  @Query(() => ChargerDiagnosticsFileContent, {
    nullable: true,
    description: 'A diagnostics file with its content (base64), in the caller’s tenants and stations. Needs charger:command.',
  })
  async chargerDiagnosticsFile(@Ctx() ctx: AssetsContext, @Arg('id', () => ID) id: string): Promise<ChargerDiagnosticsFileContent | null> {
    const scope = ctx.commandScope();
    if (!isUuid(id)) return null;
    const f = await ctx.reads.diagnostics.file(scope, id);
    // within the caller's stations: the charger must be visible to it
    if (!f || !(await ctx.loaders.charger.load(f.chargerId))) return null;
    const { content, ...meta } = f;
    return Object.assign(new ChargerDiagnosticsFileContent(), { ...meta, contentBase64: content.toString('base64') });
  }
}
