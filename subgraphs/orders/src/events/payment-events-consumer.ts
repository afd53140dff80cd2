import { decodePaymentEvent, InvalidEventError, PAYMENT_EVENTS_TOPIC, PaymentEvent } from '@evcs/events';
import { isCurrency, money, type DeadLetterRecorder, type EventBus, type MessageHandler, type Subscription } from '@evcs/platform';
import type { FactOutcome, SessionService } from '../domain/session-service';

export async function applyPaymentEvent(sessions: SessionService, e: PaymentEvent): Promise<FactOutcome | null> {
  switch (e.type) {
    case 'payment.succeeded':
      return sessions.onPaymentSucceeded({
        eventId: e.id,
        tenantId: e.tenantId,
        orderId: e.orderId,
        amount: money(e.data.amount, e.data.currency),
        paidAt: new Date(e.data.paidAt),
      });
    case 'refund.succeeded':
      return sessions.onRefundSucceeded({
        eventId: e.id,
        tenantId: e.tenantId,
        orderId: e.orderId,
        refundedTotal: money(e.data.refundedTotal, e.data.currency),
        fullyRefunded: e.data.fullyRefunded,
      });
    default:
      // A failed payment or refund leaves the order as it was: it can be paid (again).
      return null;
  }
}

export const PAYMENT_EVENTS_CONSUMER = 'orders-payment-events';

/**
 * Payment events → orders (PAID, PARTIALLY_REFUNDED, REFUNDED). Same rules as the charger
 * events: applied in order per partition, each with its event id recorded in the same
 * transaction, offsets committed after the database; what can never be applied (not
 * decodable, an unknown currency, refused for good) is thrown, and dead-lettered by the
 * subscription.
 */
export function paymentEventsHandler(sessions: SessionService): MessageHandler {
  return async (messages) => {
    for (const m of messages) {
      const event = decodePaymentEvent(m.value);
      if ('currency' in event.data && !isCurrency(event.data.currency)) throw new InvalidEventError(`unknown currency ${event.data.currency}`);
      await applyPaymentEvent(sessions, event);
    }
  };
}

export async function startPaymentEventsConsumer(opts: {
  bus: EventBus;
  sessions: SessionService;
  deadLetters: DeadLetterRecorder;
  topic?: string;
  groupId: string;
  fromBeginning?: boolean;
}): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic ?? PAYMENT_EVENTS_TOPIC],
    fromBeginning: opts.fromBeginning,
    handleBatch: paymentEventsHandler(opts.sessions),
    deadLetters: opts.deadLetters.for(PAYMENT_EVENTS_CONSUMER),
  });
}
