import type { ChannelName } from './channel';
import type { DiscrepancyKind, PaymentState, RefundState } from './ports';

/* What the API reads: filters and read-side records, shared by persistence (answers) and GraphQL (asks). */

export interface PaymentFilter {
  state?: PaymentState | null;
  channel?: ChannelName | null;
  orderId?: string | null;
}
/** The refunds list's filter: every given condition holds; `from` inclusive, `to` exclusive (instants). */
export interface RefundFilter {
  /** any of these; none or empty: every state */
  states?: readonly RefundState[] | null;
  /** the channel of the refunded payment */
  channel?: ChannelName | null;
  from?: Date | null;
  to?: Date | null;
  orderId?: string | null;
  paymentId?: string | null;
}
export interface DiscrepancyFilter {
  channel?: ChannelName | null;
  date?: string | null;
  kind?: DiscrepancyKind | null;
  resolved?: boolean | null;
}
export interface DiscrepancyRecord {
  id: string;
  tenantId: string;
  runId: string;
  channel: ChannelName;
  statementDate: string;
  kind: DiscrepancyKind;
  outTradeNo: string;
  outRefundNo: string | null;
  paymentId: string | null;
  refundId: string | null;
  localAmount: number | null;
  channelAmount: number | null;
  localState: string | null;
  channelState: string | null;
  detectedAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}
export interface DiscrepancyTotals {
  count: number;
  unresolved: number;
  missingLocally: number;
  missingAtChannel: number;
  amountMismatch: number;
  statusMismatch: number;
}
