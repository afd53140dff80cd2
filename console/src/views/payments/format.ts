import type { LocationQuery } from 'vue-router';
import type { PaymentChannelName, PaymentState, RefundFilter, RefundState } from '../../gql/graphql';
import { one, oneOf } from '../../paging';
import { decimalsOf, formatMinor } from '../orders/format';

/**
 * The calendar day (yyyy-MM-dd) of an instant in Asia/Shanghai: the day both reconciliations
 * are kept by, whatever the viewer's own zone.
 */
export function shanghaiDate(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

interface Paid {
  amount: { minor: number; formatted: string; currency: string };
  refundedAmount: { minor: number };
}

/** What is left of a payment after its refunds (processing ones included), with the currency's decimals. */
export function remaining(p: Paid): string {
  return `${formatMinor(p.amount.minor - p.refundedAmount.minor, decimalsOf(p.amount.formatted))} ${p.amount.currency}`;
}

export const PAYMENT_STATES: readonly PaymentState[] = ['PENDING', 'PAYING', 'SUCCEEDED', 'FAILED', 'CLOSED'];
export const REFUND_STATES: readonly RefundState[] = ['PROCESSING', 'SUCCEEDED', 'FAILED'];
export const CHANNELS: readonly PaymentChannelName[] = ['ALIPAY', 'WECHATPAY'];

type Tag = 'success' | 'warning' | 'danger' | 'info' | 'primary';
const PAYMENT_TAGS: Record<PaymentState, Tag> = { PENDING: 'info', PAYING: 'warning', SUCCEEDED: 'success', FAILED: 'danger', CLOSED: 'info' };
export const paymentTag = (s: PaymentState): Tag => PAYMENT_TAGS[s];

const REFUND_TAGS: Record<RefundState, Tag> = { PROCESSING: 'warning', SUCCEEDED: 'success', FAILED: 'danger' };
export const refundTag = (s: RefundState): Tag => REFUND_TAGS[s];

/** An instant as the API takes it (ISO 8601 in UTC), or undefined for what is not one. */
function instant(v: LocationQuery[string] | undefined): string | undefined {
  const s = one(v);
  const at = s === undefined ? NaN : Date.parse(s);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/**
 * The refunds list's filter from its URL (`state=PROCESSING,FAILED&channel=…&from=…&to=…`):
 * known states and channel only; from/to as instants, so the API never has to guess a zone.
 */
export function refundFilterOf(q: Record<string, LocationQuery[string] | undefined>): {
  filter: RefundFilter;
  states: RefundState[];
  channel?: PaymentChannelName;
  from?: string;
  to?: string;
} {
  const states = [...new Set(one(q.state)?.split(',') ?? [])].filter((s): s is RefundState => REFUND_STATES.includes(s as RefundState));
  const channel = oneOf(q.channel, CHANNELS);
  const from = instant(q.from);
  const to = instant(q.to);
  const filter: RefundFilter = {
    ...(states.length ? { states } : {}),
    ...(channel ? { channel } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
  return { filter, states, channel, from, to };
}

/** A run's or discrepancy's state as a tag: done is quiet, open or failed stands out. */
export function runTag(state: string): Tag {
  if (state === 'COMPLETED' || state === 'RESOLVED') return 'success';
  if (state === 'FAILED') return 'danger';
  if (state === 'OPEN' || state === 'RUNNING') return 'warning';
  return 'info';
}
