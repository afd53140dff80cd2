import { decodeOrderEvent, ORDER_EVENTS_TOPIC } from '@evcs/events';
import { AppError, type DeadLetterRecorder, type EventBus, type MessageHandler, type Subscription } from '@evcs/platform';
import { DeadLetterReasons } from '../domain/error-codes';
import type { PaymentStore } from '../domain/ports';

/** The consumer's stable name: its group (within the namespace) and the name its dead letters carry. */
export const ORDER_CONSUMER = 'payments-orders';

/**
 * order.completed into the table of payable orders; replays are no-ops by the (tenant, order)
 * primary key. What can never be recorded — a malformed event, an amount that cannot be paid —
 * is thrown, and the subscription dead-letters it (retrying can never make it valid). The
 * dead-letter replay calls this same handler.
 */
export function orderEventsHandler(store: PaymentStore): MessageHandler {
  return async (messages) => {
    for (const m of messages) {
      const e = decodeOrderEvent(m.value);
      if (e.type !== 'order.completed') continue;
      if (e.data.amount <= 0 || e.data.amount > 2147483647)
        throw new AppError(DeadLetterReasons.AMOUNT_NOT_PAYABLE, `order.completed with an amount that cannot be paid: ${e.data.amount}`);
      await store.recordPayableOrder({
        tenantId: e.tenantId,
        orderId: e.orderId,
        stationId: e.data.stationId ?? null,
        userId: e.data.userId ?? null,
        amount: e.data.amount,
        currency: e.data.currency,
        description: e.data.description ?? '',
        status: 'PAYABLE',
        source: 'EVENT',
        eventId: e.id,
        completedAt: new Date(e.occurredAt),
      });
    }
  };
}

/** Offsets commit after the batch's database writes (the bus does that after the handler resolves). */
export async function startOrderConsumer(o: {
  bus: EventBus;
  store: PaymentStore;
  deadLetters: DeadLetterRecorder;
  topic?: string;
  groupId?: string;
}): Promise<Subscription> {
  return o.bus.subscribe({
    groupId: o.groupId ?? ORDER_CONSUMER,
    topics: [o.topic ?? ORDER_EVENTS_TOPIC],
    fromBeginning: true,
    handleBatch: orderEventsHandler(o.store),
    deadLetters: o.deadLetters.for(ORDER_CONSUMER),
  });
}
