import { PageInfoObject as PageInfo, UserErrorObject as UserError } from '@evcs/platform';
import { EnergyObject, MoneyObject } from '@evcs/platform';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from './scalars';

export enum TariffPlanStatus {
  ACTIVE = 'ACTIVE',
  RETIRED = 'RETIRED',
}
registerEnumType(TariffPlanStatus, { name: 'TariffPlanStatus' });

/** Same name and values as the assets subgraph's enum (composition merges them). */
export enum ChargerProtocol {
  OCPP16 = 'OCPP16',
  YKC = 'YKC',
}
registerEnumType(ChargerProtocol, { name: 'ChargerProtocol' });

export enum TariffSource {
  CHARGER = 'CHARGER',
  STATION = 'STATION',
  TENANT = 'TENANT',
}
registerEnumType(TariffSource, {
  name: 'TariffSource',
  description: "Where a charger's plan came from: its own binding, its station's default, or the tenant's default",
});

@ObjectType({ description: 'A time-of-use segment of the local day, with prices per kWh (4 decimal places).' })
export class TariffSegment {
  @Field({ description: 'HH:MM, on a 15-minute boundary' }) start!: string;
  @Field({ description: 'HH:MM; 24:00 is midnight at the end of the day; an end before the start crosses midnight' }) end!: string;
  @Field(() => DecimalScalar, { description: 'Electricity price per kWh' }) energyPrice!: string;
  @Field(() => DecimalScalar, { description: 'Service fee per kWh' }) serviceFee!: string;
}

@ObjectType({ description: 'An immutable version of a plan. Editing a plan makes a new version.' })
export class TariffPlanVersion {
  @Field(() => Int) version!: number;
  @Field(() => Date, { description: 'In force from this instant (UTC) until the next version takes effect' }) effectiveFrom!: Date;
  @Field(() => Date) createdAt!: Date;
  @Field(() => [TariffSegment], { description: 'Sorted by start' }) segments!: TariffSegment[];
  planId!: string;
  currency!: string;
}

@Directive('@key(fields: "id")')
@ObjectType({
  description: "A time-of-use tariff plan of a station, or of the tenant (stationId null). Its segments are wall-clock times in `timezone` (the station's).",
})
export class TariffPlan {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({ description: 'ISO 4217' }) currency!: string;
  @Field({ description: 'IANA timezone whose wall clock the segments follow' }) timezone!: string;
  @Field(() => TariffPlanStatus) status!: TariffPlanStatus;
  @Field(() => ID, { nullable: true, description: 'The station it belongs to; null for a tenant-level plan' }) stationId!: string | null;
  @Field({ description: "Whether it is its station's default (or, tenant-level, the tenant's default)" }) isDefault!: boolean;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@ObjectType()
export class TariffPlanEdge {
  @Field() cursor!: string;
  @Field(() => TariffPlan) node!: TariffPlan;
}

@ObjectType({ description: 'Tariff plans, a page at a time (Relay cursor pagination).' })
export class TariffPlanConnection {
  @Field(() => [TariffPlanEdge]) edges!: TariffPlanEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

/** Expected failures: the platform's one UserError type. */
export { UserErrorObject as UserError } from '@evcs/platform';

@ObjectType()
export class TariffPlanPayload {
  @Field(() => TariffPlan, { nullable: true }) plan!: TariffPlan | null;
  @Field(() => TariffPlanVersion, { nullable: true, description: 'The version created, if any' }) version!: TariffPlanVersion | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'A charger bound to a plan. Charger and station are the assets ids.' })
export class ChargerTariffBinding {
  @Field(() => ID) chargerId!: string;
  @Field(() => ID) stationId!: string;
  @Field(() => ChargerProtocol) protocol!: ChargerProtocol;
  @Field(() => Date) boundAt!: Date;
  planId!: string;
}

@ObjectType()
export class ChargerTariffBindingPayload {
  @Field(() => ChargerTariffBinding, { nullable: true }) binding!: ChargerTariffBinding | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'The plan that prices a charger, and why' })
export class EffectiveTariff {
  @Field(() => TariffSource) source!: TariffSource;
  planId!: string;
}

@ObjectType({
  description:
    "The part of a session priced at one segment of one plan version. Amounts are this part's share of the rounded total (largest remainder), so the items add up to it.",
})
export class SessionPriceItem {
  @Field(() => Int) planVersion!: number;
  @Field(() => Int, { description: "1-based, in the version's sorted segments" }) segmentNo!: number;
  @Field() start!: string;
  @Field() end!: string;
  @Field(() => DecimalScalar) energyPrice!: string;
  @Field(() => DecimalScalar) serviceFee!: string;
  @Field(() => DecimalScalar, { description: 'Seconds of the session in this segment' }) durationSeconds!: string;
  @Field(() => EnergyObject, { description: 'Energy priced here, exact up to 10 places of Wh' }) energy!: EnergyObject;
  @Field(() => MoneyObject) electricityAmount!: MoneyObject;
  @Field(() => MoneyObject) serviceAmount!: MoneyObject;
}

@ObjectType({ description: "The cost of a session. One rounding, half-up to the currency's minor unit (0.01 CNY), of the exact sum of the items." })
export class SessionPrice {
  @Field(() => ID) planId!: string;
  @Field(() => TariffSource) source!: TariffSource;
  @Field(() => [Int], { description: 'Plan versions that priced some part of the session' }) planVersions!: number[];
  @Field() currency!: string;
  @Field() timezone!: string;
  @Field(() => EnergyObject) energy!: EnergyObject;
  @Field(() => DecimalScalar) durationSeconds!: string;
  @Field(() => MoneyObject, { description: "Sum of the items' electricity amounts" }) electricityAmount!: MoneyObject;
  @Field(() => MoneyObject, { description: "Sum of the items' service amounts" }) serviceAmount!: MoneyObject;
  @Field(() => DecimalScalar, {
    description: "The exact cost before rounding (up to 10 places), in major units: what a YKC pile's own 4-decimal bill is compared with",
  })
  totalExact!: string;
  @Field(() => MoneyObject, { description: 'What the session costs: totalExact rounded half-up to the minor unit' }) total!: MoneyObject;
  @Field(() => [SessionPriceItem]) items!: SessionPriceItem[];
}

@ObjectType('YkcPriceTier')
export class YkcPriceTier {
  @Field(() => Int, { description: '0 尖 sharp, 1 峰 peak, 2 平 flat, 3 谷 valley' }) tier!: number;
  @Field() name!: string;
  @Field(() => DecimalScalar) energyPrice!: string;
  @Field(() => DecimalScalar) serviceFee!: string;
  @Field(() => Int, { description: 'energyPrice as the YKC wire carries it: yuan ×10^5, an exact integer' }) energyRate!: number;
  @Field(() => Int, { description: 'serviceFee as the YKC wire carries it: yuan ×10^5, an exact integer' }) serviceRate!: number;
  @Field({ description: 'Whether any slot uses it' }) used!: boolean;
}

@ObjectType({ description: 'A plan version in the YKC billing model (4 tiers × 48 half-hour slots), or why it cannot be' })
export class YkcBillingModel {
  @Field() representable!: boolean;
  @Field(() => [String]) reasons!: string[];
  @Field({
    description:
      'The model number a pile holding this version shows: 4 digits from its prices and slots, so versions with the same prices share it and different prices (but for a 1-in-9,999 collision) do not; 0000 when the version cannot be a YKC model',
  })
  modelNo!: string;
  @Field(() => [YkcPriceTier], { description: 'All 4 tiers (0..3) when representable; unused ones rate 0' }) tiers!: YkcPriceTier[];
  @Field(() => [Int], { description: '48 tier numbers, slot k = [k×30 min, (k+1)×30 min) local time' }) slots!: number[];
}

@Directive('@key(fields: "id")')
@ObjectType()
export class Charger {
  @Field(() => ID) id!: string;
}

@Directive('@key(fields: "id")')
@ObjectType()
export class Station {
  @Field(() => ID) id!: string;
}

// ------------------------------------------------------------------ inputs

@InputType()
export class TariffSegmentInput {
  @Field() start!: string;
  @Field() end!: string;
  @Field(() => DecimalScalar) energyPrice!: string;
  @Field(() => DecimalScalar) serviceFee!: string;
}

@InputType()
export class CreateTariffPlanInput {
  @Field(() => ID, { nullable: true, description: 'The station it belongs to; omit for a tenant-level plan' }) stationId?: string | null;
  @Field() name!: string;
  @Field({ defaultValue: 'CNY' }) currency!: string;
  @Field(() => String, { nullable: true, description: "The station's IANA timezone; default Asia/Shanghai" }) timezone?: string | null;
  @Field({ defaultValue: false, description: "Make it its station's (or the tenant's) default" }) isDefault!: boolean;
  @Field(() => [TariffSegmentInput]) segments!: TariffSegmentInput[];
  @Field(() => Date, { nullable: true, description: 'When version 1 takes effect; default now' }) effectiveFrom?: Date | null;
}

@InputType()
export class ReviseTariffPlanInput {
  @Field(() => ID) planId!: string;
  @Field(() => [TariffSegmentInput]) segments!: TariffSegmentInput[];
  @Field(() => Date, { nullable: true, description: 'When the new version takes effect; default now, never in the past' }) effectiveFrom?: Date | null;
}

@InputType()
export class BindChargerTariffInput {
  @Field(() => ID) chargerId!: string;
  @Field(() => ID, {
    nullable: true,
    deprecationReason: 'Taken from assets; when given it must be the charger’s station (else STATION_MISMATCH)',
  })
  stationId?: string | null;
  @Field(() => ChargerProtocol, {
    nullable: true,
    deprecationReason: 'Taken from assets (a YKC charger only takes plans its billing model can hold); when given it must match (else PROTOCOL_MISMATCH)',
  })
  protocol?: ChargerProtocol | null;
  @Field(() => ID) planId!: string;
}

@InputType()
export class MeterSampleInput {
  @Field(() => Date) at!: Date;
  @Field(() => DecimalScalar, { description: 'Cumulative energy register, Wh' }) meterWh!: string;
}

@InputType()
export class PriceSessionInput {
  @Field(() => ID) chargerId!: string;
  @Field(() => ID, { nullable: true, description: "The charger's station: the station-default fallback for an unbound charger" }) stationId?: string | null;
  @Field(() => Date) startedAt!: Date;
  @Field(() => Date) stoppedAt!: Date;
  @Field(() => DecimalScalar, { nullable: true, description: 'Total energy (Wh), spread evenly over the session when there are no samples' }) energyWh?:
    string | null;
  @Field(() => [MeterSampleInput], { nullable: true, description: 'Meter readings from start to stop (at least two)' }) meterSamples?:
    MeterSampleInput[] | null;
  @Field(() => [TariffSegmentInput], {
    nullable: true,
    description:
      "A draft to price with instead of the resolved plan's versions (nothing is saved), checked as createTariffPlan checks segments; in the resolved plan's currency and timezone, reported as version 0",
  })
  draftSegments?: TariffSegmentInput[] | null;
}
