import { PageInfoObject as PageInfo, UserErrorObject as UserError } from '@evcs/platform';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum StationStatus {
  BUILDING = 'BUILDING',
  OPERATING = 'OPERATING',
  MAINTENANCE = 'MAINTENANCE',
  CLOSED = 'CLOSED',
}
registerEnumType(StationStatus, { name: 'StationStatus', valuesConfig: { CLOSED: { description: 'Retired (final); reached through retireStation only' } } });

export enum ChargerProtocol {
  OCPP16 = 'OCPP16',
  YKC = 'YKC',
}
registerEnumType(ChargerProtocol, { name: 'ChargerProtocol' });

export enum CurrentType {
  AC = 'AC',
  DC = 'DC',
}
registerEnumType(CurrentType, { name: 'CurrentType' });

export enum PlugType {
  GBT_AC = 'GBT_AC',
  GBT_DC = 'GBT_DC',
  TYPE1 = 'TYPE1',
  TYPE2 = 'TYPE2',
  CCS1 = 'CCS1',
  CCS2 = 'CCS2',
  CHADEMO = 'CHADEMO',
  OTHER = 'OTHER',
}
registerEnumType(PlugType, { name: 'PlugType' });

export enum ChargerRegistrationState {
  REGISTERED = 'REGISTERED',
  RETIRED = 'RETIRED',
}
registerEnumType(ChargerRegistrationState, {
  name: 'ChargerRegistrationState',
  description: 'REGISTERED chargers may connect; a RETIRED charger is refused and its code is free for a new charger',
});

@ObjectType({ description: 'How many active connectors of a station show one status.' })
export class ConnectorStatusCount {
  @Field({ description: 'OCPP 1.6 status, or Offline' }) status!: string;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: "Aggregates over a station's active chargers and connectors, computed by the database." })
export class StationStats {
  @Field(() => [ConnectorStatusCount], { description: 'Statuses with no connector are left out' }) connectorsByStatus!: ConnectorStatusCount[];
  @Field(() => Int) chargersTotal!: number;
  @Field(() => Int) chargersOnline!: number;
  @Field(() => Float, { nullable: true, description: 'chargersOnline / chargersTotal, 0..1; null for a station without chargers' })
  onlineRate!: number | null;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A charging station: a site with chargers, in one timezone.' })
export class Station {
  @Field(() => ID) id!: string;
  @Field({ description: 'Unique within the tenant' }) code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) address!: string | null;
  @Field(() => Float, { nullable: true, description: 'WGS-84 degrees (stored exactly to 6 decimals)' }) latitude!: number | null;
  @Field(() => Float, { nullable: true, description: 'WGS-84 degrees (stored exactly to 6 decimals)' }) longitude!: number | null;
  @Field({ description: 'IANA timezone of the site, e.g. Asia/Shanghai' }) timezone!: string;
  @Field(() => StationStatus) status!: StationStatus;
  @Field(() => Int, { description: 'Increases with every change; pass it as expectedVersion to update only what you saw' }) version!: number;
  @Field(() => Date, { nullable: true }) retiredAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A charger (charge point); `code` is the identity it connects with.' })
export class Charger {
  @Field(() => ID) id!: string;
  @Field({ description: 'The charge point identity it connects with (OCPP chargePointId, YKC pile code); unique among active chargers' }) code!: string;
  @Field(() => ChargerProtocol) protocol!: ChargerProtocol;
  @Field(() => CurrentType) currentType!: CurrentType;
  @Field(() => String, { nullable: true, description: 'Rated power in kW as an exact decimal string, e.g. "120.00"' }) ratedPowerKw!: string | null;
  @Field(() => String, { nullable: true }) vendor!: string | null;
  @Field(() => String, { nullable: true }) model!: string | null;
  @Field(() => String, { nullable: true }) firmwareVersion!: string | null;
  @Field(() => ChargerRegistrationState) registrationState!: ChargerRegistrationState;
  @Field() online!: boolean;
  @Field(() => Date, { nullable: true, description: 'Last time the platform heard from it (UTC)' }) lastSeenAt!: Date | null;
  @Field(() => Int) version!: number;
  @Field(() => Date, { nullable: true }) retiredAt!: Date | null;
  stationId!: string;
  /** the last FirmwareStatusNotification / DiagnosticsStatusNotification (Charger.firmware, Charger.diagnostics) */
  firmwareStatus!: string | null;
  firmwareStatusAt!: Date | null;
  diagnosticsStatus!: string | null;
  diagnosticsStatusAt!: Date | null;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A connector (outlet) of a charger, with its live status.' })
export class Connector {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: 'Connector number as the charger counts it (1-based)' }) connectorNo!: number;
  @Field(() => PlugType, { nullable: true }) plugType!: PlugType | null;
  @Field(() => String, { nullable: true, description: 'Maximum power in kW as an exact decimal string' }) maxPowerKw!: string | null;
  @Field({
    description:
      'OCPP 1.6 status: Available, Preparing, Charging, SuspendedEV, SuspendedEVSE, Finishing, Reserved, Unavailable, Faulted; or Offline while its charger is disconnected',
  })
  status!: string;
  @Field(() => String, { nullable: true, description: 'OCPP error code of the status (null for NoError)' }) errorCode!: string | null;
  @Field(() => Date, { nullable: true, description: 'Time of this status (UTC): charger-side, or when the platform lost the charger for Offline' })
  statusAt!: Date | null;
  @Field(() => Int) version!: number;
  @Field(() => Date, { nullable: true }) retiredAt!: Date | null;
  chargerId!: string;
}

@ObjectType({ description: 'One recorded status of a connector.' })
export class ConnectorStatusRecord {
  @Field() status!: string;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => Date) occurredAt!: Date;
  @Field(() => Date) recordedAt!: Date;
}

@Directive('@inaccessible')
@ObjectType({ description: 'Internal: resolves a connecting charger to its tenant (protocol bridge only).' })
export class ChargerRegistration {
  @Field(() => ID) chargerId!: string;
  @Field(() => ID) tenantId!: string;
  @Field(() => ID) stationId!: string;
  @Field(() => ChargerProtocol) protocol!: ChargerProtocol;
  @Field(() => Int, { nullable: true, description: 'OCPP security profile the charger must connect with' }) securityProfile!: number | null;
  @Field(() => String, { nullable: true, description: 'scrypt hash of its Basic-auth password (service identities only)' }) credentialHash!: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'YKC: the identity its login must carry' }) ykcIdentity!: Record<string, unknown> | null;
  @Field(() => [String], { description: "Networks it may connect from (its own, else its tenant's; empty: any)" }) allowedSourceCidrs!: string[];
  @Field(() => String, { nullable: true }) desKeyRef!: string | null;
  @Field({ description: "Its tenant's policy: profile-0 commissioning" }) allowProfile0Commissioning!: boolean;
  @Field({ description: "Its tenant's policy: learn a YKC identity at the first login" }) learnYkcIdentityOnFirstLogin!: boolean;
  @Field(() => Date, { nullable: true, description: 'Its credential was revoked: refused, whatever the password or the profile-0 policy' })
  credentialRevokedAt!: Date | null;
}

@ObjectType()
export class StationEdge {
  @Field() cursor!: string;
  @Field(() => Station) node!: Station;
}

@ObjectType()
export class ChargerEdge {
  @Field() cursor!: string;
  @Field(() => Charger) node!: Charger;
}

/** A page plus a lazily computed total: the count query runs only when asked for. */
@ObjectType()
abstract class Counted {
  count!: () => Promise<number>;

  @Field(() => Int, { description: 'All matches of the filter, over every page (one extra query when selected)' })
  totalCount(): Promise<number> {
    return this.count();
  }
}

@ObjectType()
export class StationConnection extends Counted {
  @Field(() => [StationEdge]) edges!: StationEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class ChargerConnection extends Counted {
  @Field(() => [ChargerEdge]) edges!: ChargerEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

/** Expected failures: the platform's one UserError type. */
export { UserErrorObject as UserError } from '@evcs/platform';

@ObjectType()
export class StationPayload {
  @Field(() => Station, { nullable: true }) station!: Station | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'A Basic-auth password issued at registration.' })
export class RegisteredCredential {
  @Field() password!: string;
  @Field(() => Int) securityProfile!: number;
}

@ObjectType()
export class ChargerPayload {
  @Field(() => Charger, { nullable: true }) charger!: Charger | null;
  @Field(() => RegisteredCredential, {
    nullable: true,
    description: 'createCharger only: the password generated (or set) for an OCPP charger, returned this once (stored as a hash). Configure it on the charger.',
  })
  credential!: RegisteredCredential | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ConnectorPayload {
  @Field(() => Connector, { nullable: true }) connector!: Connector | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
