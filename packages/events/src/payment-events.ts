import { encodeWith, eventHeaders, type EventContract } from './contract';
import { z } from 'zod';
import { zonedTimestamp } from './charger-events';
import { decodeEvent, type EncodedEvent } from './codec';
import { minorAmount } from './order-events';

/**
 * Payment events: what the payments subgraph publishes, through its transactional
 * outbox (so an event exists exactly when the state change committed; delivery is
 * at-least-once). Keyed by order id, so an order's payment and refund events stay
 * in order on one partition.
 */
export const PAYMENT_EVENTS_TOPIC = 'evcs.payment-events.v1';
export const PAYMENT_EVENTS_PARTITIONS = 6;

const paymentEnvelope = z.object({
  id: z.string().uuid(),
  version: z.literal(1),
  tenantId: z.string().uuid(),
  orderId: z.string().uuid(),
  paymentId: z.string().uuid(),
  occurredAt: zonedTimestamp,
});
const channel = z.enum(['ALIPAY', 'WECHATPAY']);
const method = z.enum(['ALIPAY_APP', 'ALIPAY_QR', 'WECHAT_JSAPI', 'WECHAT_NATIVE']);

export const PaymentSucceeded = paymentEnvelope.extend({
  type: z.literal('payment.succeeded'),
  data: z.object({ amount: minorAmount, currency: z.string().length(3), channel, method, channelTradeNo: z.string().nullable(), paidAt: zonedTimestamp }),
});
/** The payment ended without money moving: FAILED or CLOSED at the channel. */
export const PaymentFailed = paymentEnvelope.extend({
  type: z.literal('payment.failed'),
  data: z.object({ state: z.enum(['FAILED', 'CLOSED']), channel, reason: z.string().nullable() }),
});
export const RefundSucceeded = paymentEnvelope.extend({
  type: z.literal('refund.succeeded'),
  data: z.object({
    refundId: z.string().uuid(),
    amount: minorAmount,
    currency: z.string().length(3),
    refundedTotal: minorAmount,
    paidAmount: minorAmount,
    fullyRefunded: z.boolean(),
  }),
});
export const RefundFailed = paymentEnvelope.extend({
  type: z.literal('refund.failed'),
  data: z.object({ refundId: z.string().uuid(), amount: minorAmount, reason: z.string().nullable() }),
});

export const PaymentEvent = z.discriminatedUnion('type', [PaymentSucceeded, PaymentFailed, RefundSucceeded, RefundFailed]);
export type PaymentEvent = z.infer<typeof PaymentEvent>;

export const PaymentEvents: EventContract<PaymentEvent> = { topic: PAYMENT_EVENTS_TOPIC, schema: PaymentEvent, key: (e) => e.orderId, headers: eventHeaders };

export const encodePaymentEvent = (e: PaymentEvent): EncodedEvent => encodeWith(PaymentEvents, e);

export function decodePaymentEvent(value: Buffer | string | null): PaymentEvent {
  return decodeEvent(PaymentEvent, value);
}
