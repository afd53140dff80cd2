import type { StatementLine } from './channel';
import type { Discrepancy, LocalStatementView } from './ports';

type LocalPayment = LocalStatementView['payments'][number];
type LocalRefund = LocalStatementView['refunds'][number];
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
    const d = l.kind === 'PAYMENT' ? paymentLine(l, payments, seenPayments) : refundLine(l, payments, refunds, seenRefunds);
    if (d) out.push(d);
    else matched++;
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

/** How a local record disagrees with a channel line, or null when they match. */
function verdict(local: { amount: StatementLine['amount']; state: string } | undefined, line: StatementLine): Discrepancy['kind'] | null {
  if (!local) return 'MISSING_LOCALLY';
  if (local.amount !== line.amount) return 'AMOUNT_MISMATCH';
  if (local.state !== 'SUCCEEDED') return 'STATUS_MISMATCH';
  return null;
}

function paymentLine(l: StatementLine, payments: Map<string, LocalPayment>, seen: Set<string>): Discrepancy | null {
  seen.add(l.outTradeNo);
  const p = payments.get(l.outTradeNo);
  const kind = verdict(p, l);
  if (!kind) return null;
  const base = { kind, outTradeNo: l.outTradeNo, outRefundNo: null, refundId: null, channelAmount: l.amount, channelState: 'SUCCEEDED' };
  if (!p) return { ...base, paymentId: null, localAmount: null, localState: null };
  return { ...base, paymentId: p.id, localAmount: p.amount, localState: p.state };
}

function refundLine(l: StatementLine, payments: Map<string, LocalPayment>, refunds: Map<string, LocalRefund>, seen: Set<string>): Discrepancy | null {
  const key = l.outRefundNo ?? '';
  seen.add(key);
  const r = refunds.get(key);
  const kind = verdict(r, l);
  if (!kind) return null;
  const base = { kind, outTradeNo: l.outTradeNo, outRefundNo: key, channelAmount: l.amount, channelState: 'SUCCEEDED' };
  if (!r) return { ...base, paymentId: payments.get(l.outTradeNo)?.id ?? null, refundId: null, localAmount: null, localState: null };
  return { ...base, paymentId: r.paymentId, refundId: r.id, localAmount: r.amount, localState: r.state };
}
