import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum StationStatus {
  BUILDING = 'BUILDING',
  OPERATING = 'OPERATING',
  MAINTENANCE = 'MAINTENANCE',
  CLOSED = 'CLOSED',
}
registerEnumType(StationStatus, { name: 'StationStatus' });

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

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A charging station: a site with chargers, in one timezone.' })
export class Station {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) address!: string | null;
  @Field({ description: 'IANA timezone of the site, e.g. Asia/Shanghai' }) timezone!: string;
  @Field(() => StationStatus) status!: StationStatus;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A charger (charge point); `code` is the identity it connects with.' })
export class Charger {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field(() => ChargerProtocol) protocol!: ChargerProtocol;
  @Field(() => CurrentType) currentType!: CurrentType;
  @Field(() => String, { nullable: true }) vendor!: string | null;
  @Field(() => String, { nullable: true }) model!: string | null;
  @Field(() => String, { nullable: true }) firmwareVersion!: string | null;
  @Field() online!: boolean;
  @Field(() => Date, { nullable: true, description: 'Last time the platform heard from it (UTC)' }) lastSeenAt!: Date | null;
  stationId!: string;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A connector (outlet) of a charger, with its live status.' })
export class Connector {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: 'Connector number as the charger counts it (1-based)' }) connectorNo!: number;
  @Field({ description: 'OCPP 1.6 status: Available, Preparing, Charging, SuspendedEV, SuspendedEVSE, Finishing, Reserved, Unavailable, Faulted' })
  status!: string;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => Date, { nullable: true, description: 'Charger-side time of this status (UTC)' }) statusAt!: Date | null;
  chargerId!: string;
}

@Directive('@inaccessible')
@ObjectType({ description: 'Internal: resolves a connecting charger to its tenant (protocol bridge only).' })
export class ChargerRegistration {
  @Field(() => ID) chargerId!: string;
  @Field(() => ID) tenantId!: string;
  @Field(() => ID) stationId!: string;
}
