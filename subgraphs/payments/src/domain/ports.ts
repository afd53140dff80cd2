import type { PaymentEvent } from '@evcs/events';
import type { ChannelName, ChannelRefundState, ChannelTradeState, ClientParams, PaymentMethod, StatementLine } from './channel';
import type { AuditActor } from '@evcs/platform';
import type { Fen } from './money';

export type PaymentState = 'PENDING' | 'PAYING' | 'SUCCEEDED' | 'FAILED' | 'CLOSED';
export type RefundState = 'PROCESSING' | 'SUCCEEDED' | 'FAILED';
export const PAYMENT_FLAGS = { AMOUNT_MISMATCH: 'AMOUNT_MISMATCH', STATE_CONFLICT: 'STATE_CONFLICT' } as const;

export interface PayableOrder {
  tenantId: string;
  orderId: string;
  stationId: string | null;
  userId: string | null;
  amount: Fen;
  currency: string;
  description: string;
  status: 'PAYABLE' | 'PAID' | 'PARTIALLY_REFUNDED' | 'REFUNDED';
}

/**
 * How payments learned of a payable order: its `order.completed` event, or by asking orders
 * when a client paid first (`OrderLookup`). The first one recorded stays; the other changes nothing.
 */
export type PayableOrderSource = { source: 'EVENT'; eventId: string } | { source: 'ORDERS'; eventId: null };

/** What orders holds of one order (its state and amount), asked when payments has not heard of it. */
export interface OrderAtOrders {
  orderId: string;
  tenantId: string;
  /** the order's state at orders; only TO_PAY is payable */
  state: string;
  /** what is to be paid, integer minor units; null until priced */
  amount: Fen | null;
  currency: string;
  stationId: string | null;
  userId: string | null;
  description: string;
  stoppedAt: Date | null;
}

/**
 * The orders service, asked for an order payments has not heard of yet (its event is on the
 * way): the tenant first, the call acts for that tenant only. Throws when orders cannot answer.
 */
export interface OrderLookup {
  orderForPayment(tenantId: string, orderId: string): Promise<OrderAtOrders | null>;
}

/**
 * Orders, handed a payment event as soon as it committed here (read-your-writes: the order
 * reads PAID or REFUNDED when the client is told the payment or refund succeeded). The event
 * still goes out through the outbox; orders records its id, so the later delivery changes
 * nothing. Throws when orders cannot take it (the event will bring it).
 */
export interface OrderFactsSink {
  paymentEvent(event: PaymentEvent): Promise<void>;
}

export interface PaymentRecord {
  id: string;
  tenantId: string;
  orderId: string;
  stationId: string | null;
  idempotencyKey: string;
  channel: ChannelName;
  method: PaymentMethod;
  outTradeNo: string;
  amount: Fen;
  refunded: Fen;
  currency: string;
  state: PaymentState;
  channelTradeNo: string | null;
  clientParams: ClientParams | null;
  flags: string[];
  failureReason: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  paidAt: Date | null;
  closedAt: Date | null;
}

export interface RefundRecord {
  id: string;
  tenantId: string;
  paymentId: string;
  idempotencyKey: string;
  outRefundNo: string;
  amount: Fen;
  reason: string;
  state: RefundState;
  channelRefundNo: string | null;
  failureReason: string | null;
  createdAt: Date;
  succeededAt: Date | null;
}

export interface NewPayment {
  id: string;
  orderId: string;
  stationId: string | null;
  idempotencyKey: string;
  channel: ChannelName;
  method: PaymentMethod;
  outTradeNo: string;
  amount: Fen;
  currency: string;
  createdBy: string;
}

/** The channel's word on a trade, from a verified notification or an active query. */
export interface TradeResult {
  outTradeNo: string;
  state: ChannelTradeState;
  amount: Fen | null;
  channelTradeNo: string | null;
  paidAt: Date | null;
  /** set for notifications: dedup key */
  notification?: { channel: ChannelName; notifyId: string };
}
export type TradeApplyOutcome = 'APPLIED' | 'DUPLICATE' | 'NO_CHANGE' | 'AMOUNT_MISMATCH' | 'UNKNOWN_TRADE';

export interface RefundResult {
  outRefundNo: string;
  state: ChannelRefundState;
  channelRefundNo: string | null;
  failureReason?: string | null;
  /** From a notification: its trade and refund amount are checked against the refund they name. */
  notification?: { channel: ChannelName; notifyId: string; outTradeNo: string; amount: Fen };
}

/** MISMATCH: a notification about another trade or another amount than the refund it names; nothing applied. */
export type RefundApplyOutcome = 'APPLIED' | 'DUPLICATE' | 'NO_CHANGE' | 'UNKNOWN_REFUND' | 'MISMATCH';

export type ReserveRefundOutcome =
  { kind: 'CREATED' | 'EXISTING'; refund: RefundRecord; payment: PaymentRecord } | { kind: 'NOT_FOUND' | 'NOT_REFUNDABLE' | 'EXCEEDS' | 'KEY_REUSED' };

export type DiscrepancyKind = 'MISSING_LOCALLY' | 'MISSING_AT_CHANNEL' | 'AMOUNT_MISMATCH' | 'STATUS_MISMATCH';
export interface Discrepancy {
  kind: DiscrepancyKind;
  outTradeNo: string;
  outRefundNo: string | null;
  paymentId: string | null;
  refundId: string | null;
  localAmount: Fen | null;
  channelAmount: Fen | null;
  localState: string | null;
  channelState: string | null;
}
export interface StatementRunRecord {
  id: string;
  tenantId: string;
  channel: ChannelName;
  statementDate: string;
  status: 'RUNNING' | 'COMPLETED' | 'FAILED';
  lines: number;
  matched: number;
  discrepancies: number;
  error: string | null;
  runs: number;
  startedAt: Date;
  finishedAt: Date | null;
}

/** The local records a statement of one channel and day is compared with. */
export interface LocalStatementView {
  /** payments of the channel paid that day, plus any named by the statement */
  payments: PaymentRecord[];
  /** refunds of those payments */
  refunds: (RefundRecord & { outTradeNo: string })[];
}

/** Persistence port of the payment lifecycle. Every method is tenant-first. */
export interface PaymentStore {
  recordPayableOrder(o: PayableOrder & PayableOrderSource & { completedAt: Date }): Promise<'INSERTED' | 'DUPLICATE'>;
  payableOrder(tenantId: string, orderId: string): Promise<PayableOrder | null>;
  /** Insert unless the tenant's idempotency key exists (unique constraint); either way the stored payment. */
  insertPayment(tenantId: string, p: NewPayment): Promise<{ payment: PaymentRecord; created: boolean }>;
  /** PENDING → PAYING with the client parameters; otherwise the payment as it is. */
  markPaying(tenantId: string, id: string, params: ClientParams): Promise<PaymentRecord>;
  /** Record why opening the trade failed; `close` ends a payment that must never be paid (PENDING → CLOSED). */
  markCreateFailed(tenantId: string, id: string, reason: string, close?: boolean): Promise<PaymentRecord>;
  payment(tenantId: string, id: string): Promise<PaymentRecord | null>;
  tenantOfTrade(outTradeNo: string): Promise<string | null>;
  /** Apply the channel's word on a trade exactly once (notification dedup + conditional update + outbox). */
  /** `announced` collects the events the change put in the outbox (they exist once the promise resolves). */
  applyTradeResult(tenantId: string, r: TradeResult, announced?: PaymentEvent[]): Promise<TradeApplyOutcome>;
  /** Record a refund and reserve its amount atomically against what is left to refund. */
  reserveRefund(
    tenantId: string,
    r: { id: string; paymentId: string; amount: Fen; reason: string; idempotencyKey: string; outRefundNo: string; createdBy: string; audit: AuditActor },
  ): Promise<ReserveRefundOutcome>;
  /** A new refund is audited (REFUND_REQUESTED) with it, by `r.audit`; a result that changes a refund (REFUND_SUCCEEDED/FAILED) as the channel's word. */
  applyRefundResult(tenantId: string, r: RefundResult, announced?: PaymentEvent[]): Promise<RefundApplyOutcome>;
  refundByNo(tenantId: string, outRefundNo: string): Promise<(RefundRecord & { outTradeNo: string; paymentAmount: Fen; channel: ChannelName }) | null>;
  recordRejectedNotification(channel: ChannelName, reason: string): Promise<void>;
  dueForSettlement(before: Date, limit: number): Promise<{ tenantId: string; kind: 'PAYMENT' | 'REFUND'; id: string }[]>;
  refund(tenantId: string, id: string): Promise<(RefundRecord & { outTradeNo: string; paymentAmount: Fen; channel: ChannelName }) | null>;
  // statements
  tenantsOfTrades(outTradeNos: string[]): Promise<Map<string, string>>;
  localStatementView(tenantId: string, channel: ChannelName, date: string, outTradeNos: string[]): Promise<LocalStatementView>;
  /** tenants (and their channels) with payments or refunds settled in [from, to) */
  tenantsWithActivity(from: Date, to: Date): Promise<{ tenantId: string; channel: ChannelName }[]>;
  statementRunStatus(tenantId: string, channel: ChannelName, date: string): Promise<StatementRunRecord['status'] | null>;
  saveStatementRun(
    tenantId: string,
    channel: ChannelName,
    date: string,
    result: { lines: number; matched: number; discrepancies: Discrepancy[] } | { error: string },
  ): Promise<StatementRunRecord & { newDiscrepancyKinds: Discrepancy['kind'][] }>;
}

export type { StatementLine };
