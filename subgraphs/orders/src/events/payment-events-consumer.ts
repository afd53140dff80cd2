import { decodePaymentEvent, PAYMENT_EVENTS_TOPIC, PaymentEvent } from '@evcs/events';
import { isAppError, isCurrency, money, type EventBus, type Logger, type Subscription } from '@evcs/platform';
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

/**
 * Payment events → orders (PAID, PARTIALLY_REFUNDED, REFUNDED). Same rules as the
 * charger events: applied in order per partition, each with its event id recorded
 * in the same transaction, offsets committed after the database.
 */
export async function startPaymentEventsConsumer(opts: {
  bus: EventBus;
  sessions: SessionService;
  logger: Logger;
  topic?: string;
  groupId: string;
  fromBeginning?: boolean;
}): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic ?? PAYMENT_EVENTS_TOPIC],
    fromBeginning: opts.fromBeginning,
    handleBatch: async (messages) => {
      for (const m of messages) {
        let event: PaymentEvent;
        try {
          event = decodePaymentEvent(m.value);
          if ('currency' in event.data && !isCurrency(event.data.currency)) throw new RangeError(`unknown currency ${event.data.currency}`);
        } catch (e) {
          opts.logger.warn({ err: e, partition: m.partition, offset: m.offset }, 'skipping an invalid payment event');
          continue;
        }
        try {
          await applyPaymentEvent(opts.sessions, event);
        } catch (e) {
          if (isAppError(e) && !e.retriable) {
            opts.logger.error({ err: e, eventId: event.id, type: event.type, orderId: event.orderId }, 'payment event cannot be applied; skipped');
            continue;
          }
          throw e;
        }
      }
    },
  });
}
