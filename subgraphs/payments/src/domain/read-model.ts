import type { ChannelName } from './channel';
import type { DiscrepancyKind, PaymentState } from './ports';

/* What the API reads: filters and read-side records, shared by persistence (answers) and GraphQL (asks). */

export interface PaymentFilter {
  state?: PaymentState | null;
  channel?: ChannelName | null;
  orderId?: string | null;
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
