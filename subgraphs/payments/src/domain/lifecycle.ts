import { randomUUID } from 'node:crypto';
import type { PaymentEvent } from '@evcs/events';
import type { PaymentRecord, PaymentState, RefundRecord, RefundResult, RefundState, TradeApplyOutcome, TradeResult } from './ports';

/*
 * The payment and refund state machines. The store locks the rows, asks these functions
 * what a channel's answer means, and carries the decision out (each update conditional on
 * the states it may leave, so a race between two answers changes a row once).
 *
 *   payment: PENDING ─▶ PAYING ─▶ SUCCEEDED
 *               │          ├────▶ FAILED
 *               └──────────┴────▶ CLOSED
 *   refund:  PROCESSING ─▶ SUCCEEDED | FAILED (a failed refund releases its reserved amount)
 */

/** The states a payment may leave for each state it can enter. */
export const PAYMENT_ENTERED_FROM: Readonly<Record<PaymentState, readonly PaymentState[]>> = {
  PENDING: [],
  PAYING: ['PENDING'],
  SUCCEEDED: ['PENDING', 'PAYING'],
  FAILED: ['PENDING', 'PAYING'],
  CLOSED: ['PENDING', 'PAYING'],
};

export const REFUND_ENTERED_FROM: Readonly<Record<RefundState, readonly RefundState[]>> = {
  PROCESSING: [],
  SUCCEEDED: ['PROCESSING'],
  FAILED: ['PROCESSING'],
};

export const canEnter = (from: PaymentState, to: PaymentState): boolean => PAYMENT_ENTERED_FROM[to].includes(from);

/** Review flags a payment can carry (never cleared by the machine). */
export type PaymentFlag = 'AMOUNT_MISMATCH' | 'DOUBLE_PAID' | 'STATE_CONFLICT';

export type TradeDecision =
  /** Enter SUCCEEDED (if the payment may still), mark the order paid, announce payment.succeeded. */
  | { kind: 'SUCCEED'; paidAt: Date }
  /** Enter FAILED or CLOSED (if the payment may still), announce payment.failed. */
  | { kind: 'END'; state: 'FAILED' | 'CLOSED' }
  /** Leave the payment as it is, flagged for review. */
  | { kind: 'FLAG'; flag: PaymentFlag; outcome: TradeApplyOutcome }
  | { kind: 'NONE' };

/**
 * What a channel's trade answer means for a payment. `otherSucceeded`: another payment of
 * the same order already succeeded (one successful payment per order).
 */
export function decideTrade(p: PaymentRecord, r: TradeResult, facts: { otherSucceeded: boolean; now: Date }): TradeDecision {
  if (r.state === 'SUCCEEDED') {
    // Never mark paid on an amount that is not the payment's.
    if (r.amount !== p.amount) return { kind: 'FLAG', flag: 'AMOUNT_MISMATCH', outcome: 'AMOUNT_MISMATCH' };
    if (facts.otherSucceeded) return { kind: 'FLAG', flag: 'DOUBLE_PAID', outcome: 'NO_CHANGE' };
    if (!canEnter(p.state, 'SUCCEEDED')) {
      // Paid at the channel after we gave up on it: a person must look.
      return p.state === 'FAILED' || p.state === 'CLOSED' ? { kind: 'FLAG', flag: 'STATE_CONFLICT', outcome: 'NO_CHANGE' } : { kind: 'NONE' };
    }
    return { kind: 'SUCCEED', paidAt: r.paidAt ?? facts.now };
  }
  if ((r.state === 'CLOSED' || r.state === 'FAILED') && canEnter(p.state, r.state)) return { kind: 'END', state: r.state };
  return { kind: 'NONE' };
}

export type RefundDecision = { kind: 'SUCCEED' } | { kind: 'FAIL'; reason: string } | { kind: 'NONE' } | { kind: 'MISMATCH' };

/**
 * What a channel's word does to a refund. A notification must name the refund's own trade
 * and amount: a signed notification about another trade or amount (misrouted, or replayed
 * from another refund) changes nothing and is flagged.
 */
export function decideRefund(ref: Pick<RefundRecord, 'state' | 'amount'>, r: RefundResult, trade: { outTradeNo: string }): RefundDecision {
  if (r.notification && (r.notification.outTradeNo !== trade.outTradeNo || r.notification.amount !== ref.amount)) return { kind: 'MISMATCH' };
  if (!REFUND_ENTERED_FROM.SUCCEEDED.includes(ref.state)) return { kind: 'NONE' };
  if (r.state === 'SUCCEEDED') return { kind: 'SUCCEED' };
  if (r.state === 'FAILED') return { kind: 'FAIL', reason: r.failureReason ?? 'refused by the channel' };
  return { kind: 'NONE' };
}

/** What the order's payable state becomes once refunds of `refundedTotal` succeeded against `paid`. */
export const payableStatusAfterRefunds = (refundedTotal: number, paid: number): 'REFUNDED' | 'PARTIALLY_REFUNDED' =>
  refundedTotal >= paid ? 'REFUNDED' : 'PARTIALLY_REFUNDED';

const envelope = (p: Pick<PaymentRecord, 'tenantId' | 'orderId' | 'id'>, now: Date) => ({
  id: randomUUID(),
  version: 1 as const,
  tenantId: p.tenantId,
  orderId: p.orderId,
  paymentId: p.id,
  occurredAt: now.toISOString(),
});

export const paymentSucceeded = (p: PaymentRecord, r: TradeResult, paidAt: Date, now: Date): PaymentEvent => ({
  ...envelope(p, now),
  type: 'payment.succeeded',
  data: { amount: p.amount, currency: p.currency, channel: p.channel, method: p.method, channelTradeNo: r.channelTradeNo, paidAt: paidAt.toISOString() },
});

export const paymentFailed = (p: PaymentRecord, state: 'FAILED' | 'CLOSED', now: Date): PaymentEvent => ({
  ...envelope(p, now),
  type: 'payment.failed',
  data: { state, channel: p.channel, reason: null },
});

export const refundSucceeded = (p: PaymentRecord, ref: Pick<RefundRecord, 'id' | 'amount'>, refundedTotal: number, now: Date): PaymentEvent => ({
  ...envelope(p, now),
  type: 'refund.succeeded',
  data: { refundId: ref.id, amount: ref.amount, currency: p.currency, refundedTotal, paidAmount: p.amount, fullyRefunded: refundedTotal >= p.amount },
});

export const refundFailed = (p: PaymentRecord, ref: Pick<RefundRecord, 'id' | 'amount'>, reason: string | null, now: Date): PaymentEvent => ({
  ...envelope(p, now),
  type: 'refund.failed',
  data: { refundId: ref.id, amount: ref.amount, reason },
});
