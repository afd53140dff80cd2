import type { StatementLine } from './channel';
import type { Discrepancy, LocalStatementView } from './ports';
import { shanghaiDayRange } from './time';

/**
 * Compare one channel's statement of one Asia/Shanghai day with the local records,
 * by trade number (and refund number) and amount. Pure: no I/O.
 *  - a line without a local record: MISSING_LOCALLY
 *  - a local success of that day without a line: MISSING_AT_CHANNEL
 *  - different amounts: AMOUNT_MISMATCH; a line whose local record is not a success: STATUS_MISMATCH
 */
export function reconcile(date: string, lines: StatementLine[], local: LocalStatementView): { matched: number; discrepancies: Discrepancy[] } {
  const { from, to } = shanghaiDayRange(date);
  const inDay = (d: Date | null) => !!d && d >= from && d < to;
  const payments = new Map(local.payments.map((p) => [p.outTradeNo, p]));
  const refunds = new Map(local.refunds.map((r) => [r.outRefundNo, r]));
  const seenPayments = new Set<string>();
  const seenRefunds = new Set<string>();
  const out: Discrepancy[] = [];
  let matched = 0;
  for (const l of lines) {
    if (l.kind === 'PAYMENT') {
      seenPayments.add(l.outTradeNo);
      const p = payments.get(l.outTradeNo);
      const base = { outTradeNo: l.outTradeNo, outRefundNo: null, refundId: null, channelAmount: l.amount, channelState: 'SUCCEEDED' };
      if (!p) out.push({ ...base, kind: 'MISSING_LOCALLY', paymentId: null, localAmount: null, localState: null });
      else if (p.amount !== l.amount) out.push({ ...base, kind: 'AMOUNT_MISMATCH', paymentId: p.id, localAmount: p.amount, localState: p.state });
      else if (p.state !== 'SUCCEEDED') out.push({ ...base, kind: 'STATUS_MISMATCH', paymentId: p.id, localAmount: p.amount, localState: p.state });
      else matched++;
    } else {
      const key = l.outRefundNo ?? '';
      seenRefunds.add(key);
      const r = refunds.get(key);
      const base = { outTradeNo: l.outTradeNo, outRefundNo: key, channelAmount: l.amount, channelState: 'SUCCEEDED' };
      if (!r)
        out.push({ ...base, kind: 'MISSING_LOCALLY', paymentId: payments.get(l.outTradeNo)?.id ?? null, refundId: null, localAmount: null, localState: null });
      else if (r.amount !== l.amount)
        out.push({ ...base, kind: 'AMOUNT_MISMATCH', paymentId: r.paymentId, refundId: r.id, localAmount: r.amount, localState: r.state });
      else if (r.state !== 'SUCCEEDED')
        out.push({ ...base, kind: 'STATUS_MISMATCH', paymentId: r.paymentId, refundId: r.id, localAmount: r.amount, localState: r.state });
      else matched++;
    }
  }
  for (const p of local.payments) {
    if (p.state === 'SUCCEEDED' && inDay(p.paidAt) && !seenPayments.has(p.outTradeNo)) {
      out.push({
        kind: 'MISSING_AT_CHANNEL',
        outTradeNo: p.outTradeNo,
        outRefundNo: null,
        paymentId: p.id,
        refundId: null,
        localAmount: p.amount,
        channelAmount: null,
        localState: p.state,
        channelState: null,
      });
    }
  }
  for (const r of local.refunds) {
    if (r.state === 'SUCCEEDED' && inDay(r.succeededAt) && !seenRefunds.has(r.outRefundNo)) {
      out.push({
        kind: 'MISSING_AT_CHANNEL',
        outTradeNo: r.outTradeNo,
        outRefundNo: r.outRefundNo,
        paymentId: r.paymentId,
        refundId: r.id,
        localAmount: r.amount,
        channelAmount: null,
        localState: r.state,
        channelState: null,
      });
    }
  }
  return { matched, discrepancies: out };
}
