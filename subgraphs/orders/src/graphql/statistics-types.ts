import { EnergyObject, MoneyObject } from '@evcs/platform';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum StatisticsBucket {
  HOUR = 'HOUR',
  DAY = 'DAY',
}
registerEnumType(StatisticsBucket, { name: 'StatisticsBucket', description: 'The width of a trend bucket, on the wall clock of the asked time zone.' });

@InputType()
export class OrderStatisticsFilter {
  @Field(() => [ID], { nullable: true, description: 'Only these stations (within your data scope all the same)' }) stationIds?: string[] | null;
}

@ObjectType({ description: 'Sessions that started in one bucket.' })
export class OrderStatisticsPoint {
  @Field(() => GraphQLDateTimeISO, { description: "The bucket's start: a local hour or midnight of the asked zone, as an instant" }) start!: Date;
  @Field(() => Int) sessions!: number;
  @Field(() => EnergyObject, { description: 'Energy charged by those of them that stopped' }) energy!: EnergyObject;
}

@ObjectType({ description: 'Totals of the sessions that started in the asked local days (FAILED starts are not sessions).' })
export class OrderStatistics {
  @Field({ description: 'The IANA zone the days and buckets are in' }) timezone!: string;
  @Field(() => GraphQLDateTimeISO, { description: "The first local day's start" }) from!: Date;
  @Field(() => GraphQLDateTimeISO, { description: "The last local day's end (exclusive)" }) to!: Date;
  @Field(() => Int) sessions!: number;
  @Field(() => EnergyObject, { description: 'Energy charged by the sessions that stopped' }) energy!: EnergyObject;
  @Field(() => [MoneyObject], { description: 'Billed by the priced sessions (before refunds), one per currency; currencies with nothing billed are left out' })
  revenue!: MoneyObject[];
  @Field(() => [OrderStatisticsPoint], { description: 'The trend, oldest first; buckets without sessions are left out' }) buckets!: OrderStatisticsPoint[];
}
