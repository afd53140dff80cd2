import { PageInfoObject as PageInfo, UserErrorObject as UserError } from '@evcs/platform';
import { EnergyObject, MoneyObject } from '@evcs/platform';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { OrderRecord } from '../domain/ports';

export enum OrderState {
  PENDING = 'PENDING',
  CHARGING = 'CHARGING',
  FINISHING = 'FINISHING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  TO_PAY = 'TO_PAY',
  PAID = 'PAID',
  PARTIALLY_REFUNDED = 'PARTIALLY_REFUNDED',
  REFUNDED = 'REFUNDED',
}
registerEnumType(OrderState, { name: 'OrderState' });

export enum OrderOrigin {
  API = 'API',
  CHARGER = 'CHARGER',
}
registerEnumType(OrderOrigin, { name: 'OrderOrigin', description: 'Started through the API (remote start) or at the charger (card, local).' });

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, { name: 'SortDirection' });

@Directive('@key(fields: "id")')
@ObjectType('Station')
export class StationRef {
  @Field(() => ID) id!: string;
}

@Directive('@key(fields: "id")')
@ObjectType('Charger')
export class ChargerRef {
  @Field(() => ID) id!: string;
}

@ObjectType({
  description: "The part of a session priced at one segment of one plan version; its amounts are its share of the bill's total, so the items add up to it.",
})
export class BillItem {
  @Field(() => Int) planVersion!: number;
  @Field(() => Int) segmentNo!: number;
  @Field() start!: string;
  @Field() end!: string;
  @Field({ description: 'unit price per kWh (a rate, 4 decimals; not an amount)' }) energyPrice!: string;
  @Field({ description: 'unit price per kWh (a rate, 4 decimals; not an amount)' }) serviceFee!: string;
  @Field() durationSeconds!: string;
  @Field(() => EnergyObject) energy!: EnergyObject;
  @Field(() => MoneyObject) electricityAmount!: MoneyObject;
  @Field(() => MoneyObject) serviceAmount!: MoneyObject;
}

@ObjectType({
  description: "The itemised bill the tariffs engine made at stop: rounded once (half-up to the currency's minor unit) at the total, the parts shares of it.",
})
export class Bill {
  @Field() currency!: string;
  @Field(() => ID) planId!: string;
  @Field({ description: 'CHARGER, STATION or TENANT: where the plan came from' }) source!: string;
  @Field(() => [Int]) planVersions!: number[];
  @Field() timezone!: string;
  @Field(() => MoneyObject) electricityAmount!: MoneyObject;
  @Field(() => MoneyObject) serviceAmount!: MoneyObject;
  @Field({ description: "The exact cost before rounding, decimal string in major units: what the charger's own bill is compared with" }) totalExact!: string;
  @Field(() => MoneyObject, { description: 'What is paid: totalExact rounded half-up' }) total!: MoneyObject;
  @Field(() => [BillItem]) items!: BillItem[];
}

@ObjectType({ description: "One price tier (尖/峰/平/谷: SHARP, PEAK, FLAT, VALLEY) of a charger's own bill, as the charger reported it." })
export class ChargerBillTier {
  @Field() tier!: string;
  @Field({ description: 'unit price per kWh as the charger sent it (a rate, 5 decimals)' }) unitPrice!: string;
  @Field(() => EnergyObject) energy!: EnergyObject;
  @Field(() => MoneyObject, { description: "the charger's 4-decimal amount, rounded half-up to the minor unit" }) amount!: MoneyObject;
}

@ObjectType({
  description:
    "What the charger billed the session itself (YKC transaction record), kept beside the platform's bill. A total further than rounding from the platform's flags the order PILE_AMOUNT_MISMATCH: the charger holds another billing model than the platform's plan.",
})
export class ChargerBill {
  @Field(() => MoneyObject, { description: "the charger's total rounded half-up to the minor unit" }) amount!: MoneyObject;
  @Field({ description: "the total exactly as the charger sent it (decimal string, 4 places): compared with the bill's totalExact" }) amountExact!: string;
  @Field(() => EnergyObject) energy!: EnergyObject;
  @Field(() => GraphQLDateTimeISO) startedAt!: Date;
  @Field(() => GraphQLDateTimeISO) endedAt!: Date;
  @Field(() => EnergyObject, { description: 'meter register at start' }) meterStart!: EnergyObject;
  @Field(() => EnergyObject, { description: 'meter register at stop' }) meterStop!: EnergyObject;
  @Field(() => [ChargerBillTier]) tiers!: ChargerBillTier[];
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A charging session, from plug to bill.' })
export class ChargingOrder {
  @Field(() => ID) id!: string;
  @Field(() => ID) tenantId!: string;
  @Field(() => OrderState) state!: OrderState;
  @Field(() => OrderOrigin) origin!: OrderOrigin;
  @Field(() => StationRef, { nullable: true }) station!: StationRef | null;
  @Field(() => ChargerRef, { nullable: true }) charger!: ChargerRef | null;
  @Field({ description: 'The identity the charger connects with.' }) chargerCode!: string;
  @Field(() => Int) connectorNo!: number;
  @Field(() => ID, { nullable: true }) userId!: string | null;
  @Field(() => String, { nullable: true, description: "The charger's transaction id (OCPP) or serial (YKC)." }) transactionId!: string | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) startedAt!: Date | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) stoppedAt!: Date | null;
  @Field(() => EnergyObject, { nullable: true, description: 'Energy charged; null until stopped' }) energy!: EnergyObject | null;
  @Field(() => MoneyObject, { nullable: true, description: 'Total to pay; null until priced' }) amount!: MoneyObject | null;
  @Field({ description: 'ISO 4217 code the order is billed in (every amount on it is in it)' }) currency!: string;
  @Field(() => Bill, { nullable: true }) bill!: Bill | null;
  @Field(() => ChargerBill, { nullable: true, description: "The charger's own bill (YKC), beside the platform's." }) chargerBill!: ChargerBill | null;
  @Field(() => MoneyObject, { nullable: true, description: 'What a remote YKC start was allowed to spend (sent to the pile as its balance)' })
  preAuthorizedAmount!: MoneyObject | null;
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => String, { nullable: true }) stopReason!: string | null;
  @Field(() => [String], { description: 'Reasons to review this order (meter going backwards, superseded, force-closed, …).' }) reviewFlags!: string[];
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  /** what the order was made from (not a field): for the fields computed from more than the order */
  record!: OrderRecord;
}

export enum TransitionSource {
  API = 'API',
  CHARGER = 'CHARGER',
  RECONCILIATION = 'RECONCILIATION',
  OPERATOR = 'OPERATOR',
  PAYMENT = 'PAYMENT',
}
registerEnumType(TransitionSource, {
  name: 'TransitionSource',
  description:
    "Who moved an order: a user's request (API), the charger, the platform's own checks (RECONCILIATION: a start the charger never confirmed), an operator (a force-close), the payments side (PAYMENT).",
});

@ObjectType({ description: 'A message from a charger, as the protocol bridge published it (one charger event): what an order timeline shows behind a change.' })
export class ChargerMessage {
  @Field(() => ID, { description: "The charger event's id (unique per event; what orders records it under)" }) eventId!: string;
  @Field(() => String, {
    description:
      'What the charger said, as the charger event type: session.started (OCPP StartTransaction; YKC remote-start reply 0x33, or a session first seen in real-time data 0x13), session.stopped (OCPP StopTransaction; YKC transaction record 0x3B), transaction.recorded (YKC transaction record 0x3B), command.result (the answer to a command, or the bridge saying it could not deliver it)',
  })
  type!: string;
  @Field(() => String, { description: 'The protocol it came in: OCPP16, YKC, SIMULATED (injected by an operator) or BRIDGE (said by the bridge itself)' })
  protocol!: string;
  @Field(() => GraphQLDateTimeISO, { description: 'When it happened at the charger, or when the bridge observed it (UTC, zone stated: Z)' }) occurredAt!: Date;
}

@ObjectType({ description: 'One state change of an order.' })
export class OrderTransition {
  @Field(() => GraphQLDateTimeISO, { description: 'When it happened (UTC, zone stated: Z)' }) at!: Date;
  @Field(() => OrderState, { nullable: true, description: "The state before; null for the order's first state" }) from!: OrderState | null;
  @Field(() => OrderState) to!: OrderState;
  @Field(() => String, {
    nullable: true,
    description:
      'Why: REQUESTED, STARTED_AT_CHARGER, STARTED, START_REJECTED, START_TIMEOUT, STOP_REQUESTED, FORCE_CLOSED…, CHARGER_RECORD, PAYABLE, PAYMENT_SUCCEEDED, REFUND_SUCCEEDED, or the stop reason the charger sent',
  })
  cause!: string | null;
  @Field(() => TransitionSource) source!: TransitionSource;
  @Field(() => ChargerMessage, {
    nullable: true,
    description:
      'The charger message that caused this change, as the protocol bridge published it (a charger event); null when nothing from a charger did (source API, RECONCILIATION, OPERATOR, PAYMENT) and for changes recorded before these were kept',
  })
  chargerMessage!: ChargerMessage | null;
}

@ObjectType({ description: 'Where a running session stands at its latest trusted meter reading.' })
export class OrderProgress {
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'When the latest reading was taken; null before the first' }) readingAt!: Date | null;
  @Field(() => EnergyObject, {
    nullable: true,
    description: "The charger's energy register at it; null while the meter start is unknown (a YKC session before the pile's record)",
  })
  meter!: EnergyObject | null;
  @Field(() => EnergyObject, { description: 'Energy charged up to it' }) energy!: EnergyObject;
  @Field(() => Int, { nullable: true, description: 'Active import power at it, W, where the charger reports it' }) powerW!: number | null;
  @Field(() => Int, { nullable: true, description: "The vehicle's state of charge at it, %, where the charger reports it" }) socPercent!: number | null;
  @Field(() => MoneyObject, {
    nullable: true,
    description:
      "What the session costs up to it, priced by the tariffs engine as the bill at stop will be (integer minor units); null before the first reading or when the session can't be priced",
  })
  cost!: MoneyObject | null;
}

@ObjectType()
export class OrderEdge {
  @Field() cursor!: string;
  @Field(() => ChargingOrder) node!: ChargingOrder;
}

@ObjectType()
export class OrderConnection {
  @Field(() => [OrderEdge]) edges!: OrderEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

/** Expected failures: the platform's one UserError type. */
export { UserErrorObject as UserError } from '@evcs/platform';

@ObjectType()
export class OrderPayload {
  @Field(() => ChargingOrder, { nullable: true }) order!: ChargingOrder | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType()
export class OrderFilter {
  @Field(() => [ID], { nullable: true }) stationIds?: string[] | null;
  @Field(() => [ID], { nullable: true }) chargerIds?: string[] | null;
  @Field(() => ID, { nullable: true }) userId?: string | null;
  @Field(() => [OrderState], { nullable: true }) states?: OrderState[] | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'started at or after' }) from?: Date | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'started before' }) to?: Date | null;
}

@InputType()
export class StartChargingInput {
  @Field(() => ID) chargerId!: string;
  @Field(() => Int) connectorNo!: number;
  @Field({ description: 'The client’s key for this request (8–128 chars); retries with the same key return the same order.' }) idempotencyKey!: string;
  @Field(() => Int, {
    nullable: true,
    description:
      "YKC piles: what the session may spend, in minor units (fen), 1–1000000; sent to the pile as the balance (a pile refuses to start on 0.00). Without it, the tenant's default (orderSettings).",
  })
  preAuthorizedAmountMinor?: number | null;
}

@ObjectType({ description: "The tenant's session settings." })
export class OrderSettings {
  @Field(() => Int, { description: 'What a remote YKC start may spend when the request names no amount, minor units (fen); default 20000 (200.00).' })
  ykcPreAuthorizedAmountMinor!: number;
}

@InputType()
export class OrderSettingsInput {
  @Field(() => Int, { description: '1–1000000 fen' }) ykcPreAuthorizedAmountMinor!: number;
}

@ObjectType()
export class OrderSettingsPayload {
  @Field(() => OrderSettings, { nullable: true }) settings!: OrderSettings | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
