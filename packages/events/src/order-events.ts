import { z } from 'zod';
import { zonedTimestamp } from './charger-events';
import { InvalidEventError } from './codec';

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

export function encodeOrderEvent(e: OrderEvent) {
  return {
    key: e.orderId,
    value: JSON.stringify(e),
    headers: { 'content-type': 'application/json', 'event-type': e.type, 'event-version': String(e.version), 'tenant-id': e.tenantId },
  };
}

export function decodeOrderEvent(value: Buffer | string | null): OrderEvent {
  return decodeWith(OrderEvent, value);
}

export function decodeWith<T extends z.ZodTypeAny>(schema: T, value: Buffer | string | null): z.infer<T> {
  if (value == null) throw new InvalidEventError('empty event');
  const raw = typeof value === 'string' ? value : value.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidEventError('event is not JSON', raw);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new InvalidEventError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), raw);
  return parsed.data as z.infer<T>;
}
