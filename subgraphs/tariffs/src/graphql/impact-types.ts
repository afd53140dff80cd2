import { EnergyObject, MoneyObject, UserErrorObject as UserError } from '@evcs/platform';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { TariffSegmentInput } from './types';

@InputType({ description: 'A draft plan and the window of completed sessions to re-price with it.' })
export class TariffImpactInput {
  @Field(() => ID, { description: 'The station whose completed sessions are re-priced' }) stationId!: string;
  @Field(() => [TariffSegmentInput], { description: "The draft's segments, checked exactly as createTariffPlan checks them" })
  segments!: TariffSegmentInput[];
  @Field({ defaultValue: 'CNY', description: "The draft's ISO 4217 currency; sessions billed in another are counted apart, not compared" })
  currency!: string;
  @Field(() => String, {
    nullable: true,
    description: "The draft's IANA timezone (default Asia/Shanghai): its segments' wall clock, and the zone of the per-hour breakdown",
  })
  timezone?: string | null;
  @Field(() => Date, { description: 'Sessions that started at or after this instant…' }) from!: Date;
  @Field(() => Date, { description: '…and before this one (at most 93 days after from)' }) to!: Date;
}

@ObjectType({ description: 'Sessions of a group, what they were billed, what the draft would have charged, and the difference.' })
export class TariffImpactTotals {
  @Field(() => Int, { description: 'Sessions compared' }) sessions!: number;
  @Field(() => EnergyObject, { description: 'Their energy' }) energy!: EnergyObject;
  @Field(() => MoneyObject, { description: 'What they were billed' }) billed!: MoneyObject;
  @Field(() => MoneyObject, { description: 'What the draft would have charged: each session priced and rounded as its bill would be, then summed' })
  draft!: MoneyObject;
  @Field(() => MoneyObject, { description: 'draft − billed: positive when the draft charges more' }) difference!: MoneyObject;
}

@ObjectType({ description: 'The sessions that started in one hour of the local day (in the impact’s timezone), all days of the window together.' })
export class TariffImpactHour extends TariffImpactTotals {
  @Field(() => Int, { description: 'Hour of the local day, 0–23, in which the sessions started' }) hour!: number;
}

@ObjectType({ description: "What a draft plan would have charged a station's completed sessions, against what they were billed." })
export class TariffImpact {
  @Field(() => ID, { description: 'The station' }) stationId!: string;
  @Field(() => Date, { description: 'Start of the window (sessions started at or after it)' }) from!: Date;
  @Field(() => Date, { description: 'End of the window (sessions started before it)' }) to!: Date;
  @Field({ description: "The draft's currency: every amount here is in it" }) currency!: string;
  @Field({ description: 'The IANA timezone of the draft and of the hours' }) timezone!: string;
  @Field(() => TariffImpactTotals, { description: 'Every compared session' }) total!: TariffImpactTotals;
  @Field(() => [TariffImpactHour], { description: 'All 24 hours of the local day, hour 0 first, empty ones included' }) hours!: TariffImpactHour[];
  @Field(() => Int, { description: "Sessions billed in another currency than the draft's: not compared" }) otherCurrencySessions!: number;
  @Field(() => Int, { description: 'Sessions the pricing engine cannot price (e.g. longer than 31 days): not compared' }) unpricedSessions!: number;
}

@ObjectType({ description: 'The impact, or why the draft or window was refused (nothing is changed either way).' })
export class TariffImpactPayload {
  @Field(() => TariffImpact, { nullable: true, description: 'Null when there are user errors' }) impact!: TariffImpact | null;
  @Field(() => [UserError], { description: 'The same codes as createTariffPlan for the draft, INVALID_WINDOW for the window' }) userErrors!: UserError[];
}
