import { encodeWith, eventHeaders, type EventContract } from './contract';
import { z } from 'zod';
import { zonedTimestamp } from './charger-events';
import { decodeEvent, type EncodedEvent } from './codec';

/**
 * Order events: what the orders subgraph publishes about charging orders. Keyed by
 * order id so that every event of one order lands on one partition, in order.
 * Same compatibility rules as the charger events (fields only added within v1).
 */
export const ORDER_EVENTS_TOPIC = 'evcs.order-events.v1';
export const ORDER_EVENTS_PARTITIONS = 6;

/** Integer minor units (fen for CNY): money is never a float on the wire either. */
export const minorAmount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const orderEnvelope = z.object({
  /** unique per event; consumers deduplicate on it */
  id: z.string().uuid(),
  version: z.literal(1),
  tenantId: z.string().uuid(),
  orderId: z.string().uuid(),
  occurredAt: zonedTimestamp,
});

/** A charging order is finished and priced: it can now be paid. */
export const OrderCompleted = orderEnvelope.extend({
  type: z.literal('order.completed'),
  data: z.object({
    amount: minorAmount,
    currency: z.string().length(3).default('CNY'),
    stationId: z.string().uuid().optional(),
    chargerId: z.string().optional(),
    /** the driver (token subject) who owns the order */
    userId: z.string().optional(),
    energyWh: z.number().int().min(0).optional(),
    description: z.string().max(128).optional(),
  }),
});

export const OrderEvent = z.discriminatedUnion('type', [OrderCompleted]);
export type OrderEvent = z.infer<typeof OrderEvent>;
export type OrderCompleted = z.infer<typeof OrderCompleted>;

export const OrderEvents: EventContract<OrderEvent> = { topic: ORDER_EVENTS_TOPIC, schema: OrderEvent, key: (e) => e.orderId, headers: eventHeaders };

export const encodeOrderEvent = (e: OrderEvent): EncodedEvent => encodeWith(OrderEvents, e);

export function decodeOrderEvent(value: Buffer | string | null): OrderEvent {
  return decodeEvent(OrderEvent, value);
}
