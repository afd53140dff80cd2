import { PaymentEvent } from '@evcs/events';
import { canEnter, decideRefund, decideTrade, payableStatusAfterRefunds, paymentSucceeded, refundSucceeded } from '../src/domain/lifecycle';
import type { PaymentRecord, PaymentState, TradeResult } from '../src/domain/ports';

const now = new Date('2026-12-01T08:00:00Z');
const aPayment = (o: Partial<PaymentRecord> = {}): PaymentRecord => ({
  id: '3f1c8a2e-8b1a-4c7e-9a55-0d3c1e2f4a5b',
  tenantId: '0b0b0b0b-8b1a-4c7e-9a55-0d3c1e2f4a5b',
  orderId: '1a1a1a1a-8b1a-4c7e-9a55-0d3c1e2f4a5b',
  stationId: null,
  idempotencyKey: 'k',
  channel: 'ALIPAY',
  method: 'ALIPAY_QR',
  outTradeNo: 'T1',
  amount: 2345,
  refunded: 0,
  currency: 'CNY',
  state: 'PAYING',
  channelTradeNo: null,
  clientParams: null,
  flags: [],
  failureReason: null,
  createdBy: 'u',
  createdAt: now,
  updatedAt: now,
  paidAt: null,
  closedAt: null,
  ...o,
});
const trade = (o: Partial<TradeResult> = {}): TradeResult => ({ outTradeNo: 'T1', state: 'SUCCEEDED', amount: 2345, channelTradeNo: 'C1', paidAt: null, ...o });

describe('payment state machine', () => {
  it('only PENDING and PAYING can end; nothing leaves SUCCEEDED, FAILED or CLOSED', () => {
    const states: PaymentState[] = ['PENDING', 'PAYING', 'SUCCEEDED', 'FAILED', 'CLOSED'];
    const ends = states.flatMap((from) => (['SUCCEEDED', 'FAILED', 'CLOSED'] as const).filter((to) => canEnter(from, to)).map((to) => `${from}→${to}`));
    expect(ends).toEqual(['PENDING→SUCCEEDED', 'PENDING→FAILED', 'PENDING→CLOSED', 'PAYING→SUCCEEDED', 'PAYING→FAILED', 'PAYING→CLOSED']);
  });

  it('a success of the right amount succeeds, at the channel’s time or now', () => {
    expect(decideTrade(aPayment(), trade(), { otherSucceeded: false, now })).toEqual({ kind: 'SUCCEED', paidAt: now });
    const at = new Date('2026-12-01T07:59:00Z');
    expect(decideTrade(aPayment({ state: 'PENDING' }), trade({ paidAt: at }), { otherSucceeded: false, now })).toEqual({ kind: 'SUCCEED', paidAt: at });
  });

  it('never marks paid on another amount, nor a second payment of one order; a late success of a closed payment is flagged', () => {
    expect(decideTrade(aPayment(), trade({ amount: 2344 }), { otherSucceeded: false, now })).toEqual({
      kind: 'FLAG',
      flag: 'AMOUNT_MISMATCH',
      outcome: 'AMOUNT_MISMATCH',
    });
    expect(decideTrade(aPayment(), trade(), { otherSucceeded: true, now })).toEqual({ kind: 'FLAG', flag: 'DOUBLE_PAID', outcome: 'NO_CHANGE' });
    expect(decideTrade(aPayment({ state: 'CLOSED' }), trade(), { otherSucceeded: false, now })).toEqual({
      kind: 'FLAG',
      flag: 'STATE_CONFLICT',
      outcome: 'NO_CHANGE',
    });
    expect(decideTrade(aPayment({ state: 'SUCCEEDED' }), trade(), { otherSucceeded: false, now })).toEqual({ kind: 'NONE' });
  });

  it('a closed or failed trade ends an open payment only', () => {
    expect(decideTrade(aPayment(), trade({ state: 'CLOSED', amount: null }), { otherSucceeded: false, now })).toEqual({ kind: 'END', state: 'CLOSED' });
    expect(decideTrade(aPayment({ state: 'SUCCEEDED' }), trade({ state: 'FAILED', amount: null }), { otherSucceeded: false, now })).toEqual({ kind: 'NONE' });
    expect(decideTrade(aPayment(), trade({ state: 'PAYING' as never }), { otherSucceeded: false, now })).toEqual({ kind: 'NONE' });
  });

  it('refunds: a processing refund succeeds or fails once; the order is refunded in part or whole', () => {
    const T = { outTradeNo: 'T-1' };
    expect(decideRefund({ state: 'PROCESSING', amount: 300 }, { outRefundNo: 'R', state: 'SUCCEEDED', channelRefundNo: 'x' }, T)).toEqual({ kind: 'SUCCEED' });
    expect(decideRefund({ state: 'PROCESSING', amount: 300 }, { outRefundNo: 'R', state: 'FAILED', channelRefundNo: null }, T)).toEqual({
      kind: 'FAIL',
      reason: 'refused by the channel',
    });
    expect(decideRefund({ state: 'SUCCEEDED', amount: 300 }, { outRefundNo: 'R', state: 'FAILED', channelRefundNo: null }, T)).toEqual({ kind: 'NONE' });
    // a notification must name the refund's own trade and amount
    const notified = (outTradeNo: string, amount: number) => ({
      outRefundNo: 'R',
      state: 'SUCCEEDED' as const,
      channelRefundNo: null,
      notification: { channel: 'WECHATPAY' as const, notifyId: 'n', outTradeNo, amount },
    });
    expect(decideRefund({ state: 'PROCESSING', amount: 300 }, notified('T-1', 300), T)).toEqual({ kind: 'SUCCEED' });
    expect(decideRefund({ state: 'PROCESSING', amount: 300 }, notified('T-1', 1), T)).toEqual({ kind: 'MISMATCH' });
    expect(decideRefund({ state: 'PROCESSING', amount: 300 }, notified('T-2', 300), T)).toEqual({ kind: 'MISMATCH' });
    expect(payableStatusAfterRefunds(345, 2345)).toBe('PARTIALLY_REFUNDED');
    expect(payableStatusAfterRefunds(2345, 2345)).toBe('REFUNDED');
  });

  it('the events it announces satisfy their contract', () => {
    const p = aPayment();
    for (const e of [paymentSucceeded(p, trade(), now, now), refundSucceeded(p, { id: '2b2b2b2b-8b1a-4c7e-9a55-0d3c1e2f4a5b', amount: 345 }, 345, now)]) {
      expect(PaymentEvent.safeParse(e).success).toBe(true);
    }
    expect(paymentSucceeded(p, trade(), now, now)).toMatchObject({
      type: 'payment.succeeded',
      paymentId: p.id,
      data: { amount: 2345, paidAt: now.toISOString() },
    });
    expect(refundSucceeded(p, { id: '2b2b2b2b-8b1a-4c7e-9a55-0d3c1e2f4a5b', amount: 345 }, 345, now)).toMatchObject({
      data: { refundedTotal: 345, paidAmount: 2345, fullyRefunded: false },
    });
  });
});
