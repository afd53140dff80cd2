import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { ChargerSecurityInput } from './security';
import { ChargerProtocol, CurrentType, PlugType, StationStatus } from './types';

@InputType({ description: 'Filters combine with AND.' })
export class StationFilter {
  @Field(() => [StationStatus], { nullable: true }) status?: StationStatus[] | null;
  @Field(() => String, { nullable: true, description: 'Codes starting with this text (case-sensitive)' }) codePrefix?: string | null;
  @Field(() => String, { nullable: true, description: 'Case-insensitive text in code, name or address' }) search?: string | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Also list retired (CLOSED) stations' }) includeRetired?: boolean | null;
}

@InputType({ description: 'Filters combine with AND.' })
export class ChargerFilter {
  @Field(() => ID, { nullable: true }) stationId?: string | null;
  @Field(() => Boolean, { nullable: true }) online?: boolean | null;
  @Field(() => ChargerProtocol, { nullable: true }) protocol?: ChargerProtocol | null;
  @Field(() => CurrentType, { nullable: true }) currentType?: CurrentType | null;
  @Field(() => [String], { nullable: true, description: 'Chargers with at least one active connector in one of these statuses (OCPP names or Offline)' })
  connectorStatus?: string[] | null;
  @Field(() => String, { nullable: true }) codePrefix?: string | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Also list retired chargers' }) includeRetired?: boolean | null;
}

@InputType()
export class CreateStationInput {
  @Field({ description: 'Unique within the tenant; letters, digits, _ . - (at most 64)' }) code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) address?: string | null;
  @Field(() => Float, { nullable: true, description: '-90..90, set together with longitude' }) latitude?: number | null;
  @Field(() => Float, { nullable: true, description: '-180..180, set together with latitude' }) longitude?: number | null;
  @Field(() => String, { nullable: true, description: 'IANA timezone; default Asia/Shanghai' }) timezone?: string | null;
  @Field(() => StationStatus, { nullable: true, description: 'Default OPERATING; CLOSED only through retireStation' }) status?: StationStatus | null;
}

@InputType({ description: 'Only the fields given change; null clears an optional field.' })
export class UpdateStationInput {
  @Field(() => String, { nullable: true }) code?: string | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) address?: string | null;
  @Field(() => Float, { nullable: true }) latitude?: number | null;
  @Field(() => Float, { nullable: true }) longitude?: number | null;
  @Field(() => String, { nullable: true }) timezone?: string | null;
  @Field(() => StationStatus, { nullable: true }) status?: StationStatus | null;
}

@InputType()
export class ConnectorInput {
  @Field(() => Int, { description: '1..255, unique per charger' }) connectorNo!: number;
  @Field(() => PlugType, { nullable: true }) plugType?: PlugType | null;
  @Field(() => String, { nullable: true, description: 'kW as a decimal string, > 0, at most 2 decimals' }) maxPowerKw?: string | null;
}

@InputType()
export class CreateChargerInput {
  @Field(() => ID) stationId!: string;
  @Field({ description: 'The identity it connects with: OCPP chargePointId (letters, digits, _ . : -, at most 48), or the 14-digit YKC pile code' })
  code!: string;
  @Field(() => ChargerProtocol) protocol!: ChargerProtocol;
  @Field(() => CurrentType) currentType!: CurrentType;
  @Field({ description: 'kW as a decimal string, > 0, at most 2 decimals, e.g. "7.4" or "120"' }) ratedPowerKw!: string;
  @Field(() => String, { nullable: true }) vendor?: string | null;
  @Field(() => String, { nullable: true }) model?: string | null;
  @Field(() => String, { nullable: true }) firmwareVersion?: string | null;
  @Field(() => [ConnectorInput], { nullable: true, description: 'Connectors created with the charger (a charger also reports its own)' })
  connectors?: ConnectorInput[] | null;
  @Field(() => ChargerSecurityInput, {
    nullable: true,
    description:
      'Connection security (needs charger:write). Default: OCPP profile 1 with a generated password (in the payload); YKC without identity (commissioned at its first login if the tenant allows it)',
  })
  security?: ChargerSecurityInput | null;
}

@InputType({ description: 'Only the fields given change. The code and protocol are the charger identity: retire it and create a new one to change them.' })
export class UpdateChargerInput {
  @Field(() => ID, { nullable: true, description: 'Move to another station of the tenant' }) stationId?: string | null;
  @Field(() => CurrentType, { nullable: true }) currentType?: CurrentType | null;
  @Field(() => String, { nullable: true }) ratedPowerKw?: string | null;
  @Field(() => String, { nullable: true }) vendor?: string | null;
  @Field(() => String, { nullable: true }) model?: string | null;
  @Field(() => String, { nullable: true }) firmwareVersion?: string | null;
}

@InputType({ description: 'Only the fields given change.' })
export class UpdateConnectorInput {
  @Field(() => PlugType, { nullable: true }) plugType?: PlugType | null;
  @Field(() => String, { nullable: true }) maxPowerKw?: string | null;
}
