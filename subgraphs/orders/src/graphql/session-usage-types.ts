import { MoneyObject } from '@evcs/platform';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@Directive('@inaccessible')
@ObjectType({ description: 'Internal: a meter reading a completed session was priced from.' })
export class SessionUsageReading {
  @Field(() => GraphQLDateTimeISO) at!: Date;
  @Field({ description: "The charger's cumulative energy register, Wh (an exact integer, as a string)" }) registerWh!: string;
}

@Directive('@inaccessible')
@ObjectType({ description: 'Internal: a completed session with what it was priced from and what it was billed (tariffs re-prices it under a draft).' })
export class SessionUsage {
  @Field(() => ID) orderId!: string;
  @Field(() => ID, { nullable: true }) chargerId!: string | null;
  @Field(() => GraphQLDateTimeISO) startedAt!: Date;
  @Field(() => GraphQLDateTimeISO) stoppedAt!: Date;
  @Field({ description: 'Energy charged, Wh (an exact integer, as a string): priced spread evenly when there are fewer than two readings' })
  energyWh!: string;
  @Field(() => [SessionUsageReading], {
    description: 'Register at start, the readings inside the session, register at stop — the same input the bill was priced from; empty without a meter',
  })
  readings!: SessionUsageReading[];
  @Field(() => MoneyObject, { description: 'What the session was billed (its total)' }) billed!: MoneyObject;
}

@Directive('@inaccessible')
@ObjectType({ description: "Internal: one page of a station's completed sessions, oldest first." })
export class SessionUsagePage {
  @Field(() => [SessionUsage]) sessions!: SessionUsage[];
  @Field({ description: 'Whether another page follows (ask again with after: endCursor)' }) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: "The last session's cursor" }) endCursor!: string | null;
}
