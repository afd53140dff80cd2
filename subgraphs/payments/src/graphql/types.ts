import { PageInfoObject as PageInfo, UserErrorObject as UserError } from '@evcs/platform';
import { MoneyObject } from '@evcs/platform';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum PaymentChannelName {
  ALIPAY = 'ALIPAY',
  WECHATPAY = 'WECHATPAY',
}
registerEnumType(PaymentChannelName, { name: 'PaymentChannelName' });

export enum PaymentMethod {
  ALIPAY_APP = 'ALIPAY_APP',
  ALIPAY_QR = 'ALIPAY_QR',
  WECHAT_JSAPI = 'WECHAT_JSAPI',
  WECHAT_NATIVE = 'WECHAT_NATIVE',
}
registerEnumType(PaymentMethod, { name: 'PaymentMethod' });

export enum PaymentState {
  PENDING = 'PENDING',
  PAYING = 'PAYING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CLOSED = 'CLOSED',
}
registerEnumType(PaymentState, {
  name: 'PaymentState',
  description: 'PENDING (created here) → PAYING (trade open at the channel) → SUCCEEDED, FAILED or CLOSED.',
});

export enum RefundState {
  PROCESSING = 'PROCESSING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(RefundState, { name: 'RefundState' });

export enum DiscrepancyKind {
  MISSING_LOCALLY = 'MISSING_LOCALLY',
  MISSING_AT_CHANNEL = 'MISSING_AT_CHANNEL',
  AMOUNT_MISMATCH = 'AMOUNT_MISMATCH',
  STATUS_MISMATCH = 'STATUS_MISMATCH',
}
registerEnumType(DiscrepancyKind, { name: 'DiscrepancyKind' });

export enum StatementRunStatus {
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}
registerEnumType(StatementRunStatus, { name: 'StatementRunStatus' });

@ObjectType()
export class Refund {
  @Field(() => ID) id!: string;
  @Field(() => ID) paymentId!: string;
  @Field() outRefundNo!: string;
  @Field(() => MoneyObject) amount!: MoneyObject;
  @Field() reason!: string;
  @Field(() => RefundState) state!: RefundState;
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) succeededAt!: Date | null;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A payment of a completed charging order through Alipay or WeChat Pay.' })
export class Payment {
  @Field(() => ID) id!: string;
  @Field(() => ID) orderId!: string;
  @Field(() => PaymentChannelName) channel!: PaymentChannelName;
  @Field(() => PaymentMethod) method!: PaymentMethod;
  @Field({ description: 'the merchant trade number the channel knows this payment by' }) outTradeNo!: string;
  @Field(() => MoneyObject) amount!: MoneyObject;
  @Field(() => MoneyObject, { description: 'refunds processing or succeeded' }) refundedAmount!: MoneyObject;
  @Field(() => PaymentState) state!: PaymentState;
  @Field(() => String, { nullable: true }) channelTradeNo!: string | null;
  @Field(() => [String], { description: 'review flags, e.g. AMOUNT_MISMATCH (a notification named another amount; never marked paid on it)' }) flags!: string[];
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) paidAt!: Date | null;
}

@ObjectType({ description: 'wx.requestPayment / WeixinJSBridge arguments' })
export class JsapiPayParams {
  @Field() appId!: string;
  @Field() timeStamp!: string;
  @Field() nonceStr!: string;
  @Field({ name: 'package' }) package!: string;
  @Field() signType!: string;
  @Field() paySign!: string;
}

@ObjectType({ description: 'What the client needs to pay; one field is set, by method.' })
export class ClientPayParams {
  @Field(() => String, { nullable: true, description: 'ALIPAY_QR, WECHAT_NATIVE: the QR code content' }) qrCodeUrl!: string | null;
  @Field(() => String, { nullable: true, description: 'ALIPAY_APP: the signed order string for the Alipay SDK' }) orderString!: string | null;
  @Field(() => JsapiPayParams, { nullable: true, description: 'WECHAT_JSAPI' }) jsapi!: JsapiPayParams | null;
}

/** Expected failures: the platform's one UserError type. */
export { UserErrorObject as UserError } from '@evcs/platform';

@ObjectType()
export class CreatePaymentPayload {
  @Field(() => Payment, { nullable: true }) payment!: Payment | null;
  @Field(() => ClientPayParams, { nullable: true }) clientParams!: ClientPayParams | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class RefundPaymentPayload {
  @Field(() => Refund, { nullable: true }) refund!: Refund | null;
  @Field(() => Payment, { nullable: true }) payment!: Payment | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class PaymentEdge {
  @Field() cursor!: string;
  @Field(() => Payment) node!: Payment;
}

@ObjectType()
export class PaymentConnection {
  @Field(() => [PaymentEdge]) edges!: PaymentEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class RefundEdge {
  @Field() cursor!: string;
  @Field(() => Refund) node!: Refund;
}

@ObjectType({ description: 'Refunds, newest first, a page at a time (Relay cursor pagination).' })
export class RefundConnection {
  @Field(() => [RefundEdge]) edges!: RefundEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType({ description: "One reconciliation of a channel's daily statement; re-running a day updates it." })
export class StatementRun {
  @Field(() => ID) id!: string;
  @Field(() => PaymentChannelName) channel!: PaymentChannelName;
  @Field({ description: 'Asia/Shanghai calendar day, yyyy-MM-dd' }) date!: string;
  @Field(() => StatementRunStatus) status!: StatementRunStatus;
  @Field(() => Int) lines!: number;
  @Field(() => Int) matched!: number;
  @Field(() => Int) discrepancies!: number;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => Int, { description: 'how many times this day was reconciled' }) runs!: number;
  @Field(() => GraphQLDateTimeISO) startedAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) finishedAt!: Date | null;
}

@ObjectType()
export class StatementRunPayload {
  @Field(() => StatementRun, { nullable: true }) run!: StatementRun | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class StatementDiscrepancy {
  @Field(() => ID) id!: string;
  @Field(() => ID) runId!: string;
  @Field(() => PaymentChannelName) channel!: PaymentChannelName;
  @Field() date!: string;
  @Field(() => DiscrepancyKind) kind!: DiscrepancyKind;
  @Field() outTradeNo!: string;
  @Field(() => String, { nullable: true }) outRefundNo!: string | null;
  @Field(() => ID, { nullable: true }) paymentId!: string | null;
  @Field(() => ID, { nullable: true }) refundId!: string | null;
  @Field(() => MoneyObject, { nullable: true, description: 'what the platform has' }) localAmount!: MoneyObject | null;
  @Field(() => MoneyObject, { nullable: true, description: "what the channel's statement says" }) channelAmount!: MoneyObject | null;
  @Field(() => String, { nullable: true }) localState!: string | null;
  @Field(() => String, { nullable: true }) channelState!: string | null;
  @Field(() => GraphQLDateTimeISO) detectedAt!: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) resolvedAt!: Date | null;
  @Field(() => String, { nullable: true }) resolvedBy!: string | null;
  @Field(() => String, { nullable: true }) resolutionNote!: string | null;
}

@ObjectType()
export class DiscrepancyTotals {
  @Field(() => Int) count!: number;
  @Field(() => Int) unresolved!: number;
  @Field(() => Int) missingLocally!: number;
  @Field(() => Int) missingAtChannel!: number;
  @Field(() => Int) amountMismatch!: number;
  @Field(() => Int) statusMismatch!: number;
}

@ObjectType()
export class StatementDiscrepancyEdge {
  @Field() cursor!: string;
  @Field(() => StatementDiscrepancy) node!: StatementDiscrepancy;
}

@ObjectType()
export class StatementRunEdge {
  @Field() cursor!: string;
  @Field(() => StatementRun) node!: StatementRun;
}

@ObjectType({ description: 'Statement runs, newest statement day first, a page at a time (Relay cursor pagination).' })
export class StatementRunConnection {
  @Field(() => [StatementRunEdge]) edges!: StatementRunEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class StatementDiscrepancyConnection {
  @Field(() => [StatementDiscrepancyEdge]) edges!: StatementDiscrepancyEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => DiscrepancyTotals, { description: 'over everything the filter matches, not just this page' }) totals!: DiscrepancyTotals;
}

@ObjectType()
export class ResolveDiscrepancyPayload {
  @Field(() => StatementDiscrepancy, { nullable: true }) discrepancy!: StatementDiscrepancy | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ---- inputs ------------------------------------------------------------------------------

@InputType()
export class CreatePaymentInput {
  @Field(() => ID) orderId!: string;
  @Field(() => PaymentMethod, { description: 'the channel follows from the method' }) method!: PaymentMethod;
  @Field(() => PaymentChannelName, { nullable: true, description: 'optional; must agree with the method when given' }) channel?: PaymentChannelName | null;
  @Field({ description: "the client's key: the same key returns the same payment" }) idempotencyKey!: string;
  @Field(() => String, { nullable: true, description: 'WECHAT_JSAPI: the payer openid' }) openId?: string | null;
}

@InputType()
export class RefundPaymentInput {
  @Field(() => ID) paymentId!: string;
  @Field(() => Int, { description: 'minor units (fen); several partial refunds may sum to at most the paid amount' }) amountMinor!: number;
  @Field() reason!: string;
  @Field() idempotencyKey!: string;
}

@InputType()
export class PaymentFilter {
  @Field(() => PaymentState, { nullable: true }) state?: PaymentState | null;
  @Field(() => PaymentChannelName, { nullable: true }) channel?: PaymentChannelName | null;
  @Field(() => ID, { nullable: true }) orderId?: string | null;
}

@InputType({ description: 'Every given condition holds.' })
export class RefundFilter {
  @Field(() => [RefundState], { nullable: true, description: 'any of these states (none or empty: every state)' }) states?: RefundState[] | null;
  @Field(() => PaymentChannelName, { nullable: true, description: "the refunded payment's channel" }) channel?: PaymentChannelName | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'requested at or after this instant (ISO 8601 with its offset)' }) from?: Date | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'requested before this instant (ISO 8601 with its offset)' }) to?: Date | null;
  @Field(() => ID, { nullable: true, description: "the refunded payment's order" }) orderId?: string | null;
  @Field(() => ID, { nullable: true }) paymentId?: string | null;
}

/**
 * Named apart from orders' DiscrepancyFilter: the router composes an input type two subgraphs
 * share to the fields both have, which left neither subgraph's filters but `date`.
 */
@InputType()
export class StatementDiscrepancyFilter {
  @Field(() => PaymentChannelName, { nullable: true }) channel?: PaymentChannelName | null;
  @Field(() => String, { nullable: true, description: 'yyyy-MM-dd' }) date?: string | null;
  @Field(() => DiscrepancyKind, { nullable: true }) kind?: DiscrepancyKind | null;
  @Field(() => Boolean, { nullable: true }) resolved?: boolean | null;
}
