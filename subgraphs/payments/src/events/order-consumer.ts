import { decodeOrderEvent, InvalidEventError, ORDER_EVENTS_TOPIC } from '@evcs/events';
import type { EventBus, Logger, Subscription } from '@evcs/platform';
import type { PaymentStore } from '../domain/ports';

/**
 * Consumes order.completed into the table of payable orders. Offsets commit after
 * the batch's database writes (the bus does that after handleBatch resolves);
 * replays are no-ops by the (tenant, order) primary key. A malformed event is
 * logged and skipped: retrying can never make it valid.
 */
export async function startOrderConsumer(o: { bus: EventBus; store: PaymentStore; logger: Logger; topic?: string; groupId?: string }): Promise<Subscription> {
  return o.bus.subscribe({
    groupId: o.groupId ?? 'payments-orders',
    topics: [o.topic ?? ORDER_EVENTS_TOPIC],
    fromBeginning: true,
    handleBatch: async (messages) => {
      for (const m of messages) {
        let e;
        try {
          e = decodeOrderEvent(m.value);
        } catch (err) {
          if (!(err instanceof InvalidEventError)) throw err;
          o.logger.warn({ topic: m.topic, partition: m.partition, offset: m.offset, reason: err.message }, 'skipping invalid order event');
          continue;
        }
        if (e.type !== 'order.completed') continue;
        if (e.data.amount <= 0 || e.data.amount > 2147483647) {
          o.logger.warn({ orderId: e.orderId, tenantId: e.tenantId }, 'order.completed with an amount that cannot be paid; skipped');
          continue;
        }
        await o.store.recordPayableOrder({
          tenantId: e.tenantId,
          orderId: e.orderId,
          stationId: e.data.stationId ?? null,
          userId: e.data.userId ?? null,
          amount: e.data.amount,
          currency: e.data.currency,
          description: e.data.description ?? '',
          status: 'PAYABLE',
          eventId: e.id,
          completedAt: new Date(e.occurredAt),
        });
      }
    },
  });
}
