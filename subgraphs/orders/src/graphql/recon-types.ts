import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfoObject as PageInfo } from '@evcs/platform';
import { UserError } from './types';

@ObjectType({ description: "One tenant's reconciliation of one business day." })
export class ReconciliationRun {
  @Field(() => ID) id!: string;
  @Field(() => ID) tenantId!: string;
  @Field({ description: 'YYYY-MM-DD in `timezone`' }) businessDate!: string;
  @Field() timezone!: string;
  @Field({ description: 'RUNNING, COMPLETED or FAILED (a failed run resumes from its checkpoint when run again)' }) state!: string;
  @Field({ description: 'ORDERS, CHARGER_RECORDS or DONE' }) phase!: string;
  @Field(() => Int, { description: 'records checked so far' }) processed!: number;
  @Field(() => Int) discrepancies!: number;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => GraphQLDateTimeISO) startedAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) finishedAt!: Date | null;
}

@ObjectType()
export class ReconciliationRunEdge {
  @Field() cursor!: string;
  @Field(() => ReconciliationRun) node!: ReconciliationRun;
}

@ObjectType({ description: 'Reconciliation runs, newest business day first, a page at a time (Relay cursor pagination).' })
export class ReconciliationRunConnection {
  @Field(() => [ReconciliationRunEdge]) edges!: ReconciliationRunEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class Discrepancy {
  @Field(() => ID) id!: string;
  @Field(() => ID) tenantId!: string;
  @Field(() => ID) runId!: string;
  @Field() businessDate!: string;
  @Field() kind!: string;
  @Field(() => ID, { nullable: true }) orderId!: string | null;
  @Field(() => String, { nullable: true }) chargerCode!: string | null;
  @Field(() => String, { nullable: true }) transactionId!: string | null;
  @Field(() => String, { nullable: true }) expected!: string | null;
  @Field(() => String, { nullable: true }) actual!: string | null;
  @Field(() => GraphQLJSONObject) detail!: Record<string, unknown>;
  @Field({ description: 'OPEN or RESOLVED' }) state!: string;
  @Field(() => String, { nullable: true }) note!: string | null;
  @Field(() => String, { nullable: true }) resolvedBy!: string | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) resolvedAt!: Date | null;
}

@ObjectType()
export class DiscrepancyCount {
  @Field() kind!: string;
  @Field() state!: string;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class DiscrepancyEdge {
  @Field() cursor!: string;
  @Field(() => Discrepancy) node!: Discrepancy;
}

@ObjectType()
export class DiscrepancyConnection {
  @Field(() => [DiscrepancyEdge]) edges!: DiscrepancyEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field({ deprecationReason: 'Use pageInfo.hasNextPage' }) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, deprecationReason: 'Use pageInfo.endCursor' }) endCursor!: string | null;
  @Field(() => Int, { description: 'all matching the filter' }) total!: number;
  @Field(() => [DiscrepancyCount], { description: 'matching the filter, by kind and state' }) totals!: DiscrepancyCount[];
}

@InputType()
export class DiscrepancyFilter {
  @Field(() => String, { nullable: true }) date?: string | null;
  @Field(() => ID, { nullable: true }) runId?: string | null;
  @Field(() => [String], { nullable: true }) kinds?: string[] | null;
  @Field(() => [String], { nullable: true }) states?: string[] | null;
}

@ObjectType()
export class ReconciliationRunPayload {
  @Field(() => ReconciliationRun, { nullable: true }) run!: ReconciliationRun | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DiscrepancyPayload {
  @Field(() => Discrepancy, { nullable: true }) discrepancy!: Discrepancy | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
