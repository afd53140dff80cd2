import { AppError, ErrorCodes, isAppError, type ServiceGraphQLClient } from '@evcs/platform';
import { z } from 'zod';
import { encodePaymentEvent, type PaymentEvent } from '@evcs/events';
import type { OrderAtOrders, OrderFactsSink, OrderLookup } from '../domain/ports';

/** Issuer the subgraphs accept the payments service's own tokens from (see SERVICE_GRANTS). */
export const PAYMENTS_TOKEN_ISSUER = 'evcs-payments';

/** Service-only query of the orders subgraph (@inaccessible in the supergraph: called on the subgraph directly). */
export const ORDER_FOR_PAYMENT_QUERY = `query OrderForPayment($orderId: ID!) { orderForPayment(orderId: $orderId) {
  orderId tenantId state amount { minor currency } stationId userId description stoppedAt } }`;

const Answer = z.object({
  orderForPayment: z
    .object({
      orderId: z.string().uuid(),
      tenantId: z.string().uuid(),
      state: z.string().min(1),
      amount: z.object({ minor: z.number().int(), currency: z.string().length(3) }).nullable(),
      stationId: z.string().nullable(),
      userId: z.string().nullable(),
      description: z.string(),
      stoppedAt: z.string().datetime({ offset: true }).nullable(),
    })
    .nullable(),
});

/** Service-only mutation of the orders subgraph: a payment event handed over ahead of its delivery. */
export const APPLY_PAYMENT_EVENT_MUTATION = `mutation ApplyPaymentEvent($event: String!) { applyPaymentEvent(event: $event) }`;

const Applied = z.object({ applyPaymentEvent: z.enum(['applied', 'duplicate', 'flagged', 'ignored', 'none']) });

/**
 * OrderLookup (and OrderFactsSink) over HTTP: asks the orders subgraph (its own URL, not the router) as the payments
 * service, with a token acting for the one tenant asked about (TENANT scope, scope
 * `order-payable:read`), through the client given (its DependencyGuard: timeout and circuit
 * breaker). Anything but a well-formed answer about that order of that tenant is
 * DEPENDENCY_UNAVAILABLE, retriable: the payment is refused for now, never taken on a guess.
 */
export class HttpOrderLookup implements OrderLookup, OrderFactsSink {
  constructor(private readonly orders: ServiceGraphQLClient) {}

  async orderForPayment(tenantId: string, orderId: string): Promise<OrderAtOrders | null> {
    const unavailable = (message: string, cause?: unknown) =>
      new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `orders could not be asked about the order (${message})`, { retriable: true, cause });
    let data: unknown;
    try {
      data = await this.orders.request<unknown>(ORDER_FOR_PAYMENT_QUERY, { orderId }, { tenantId });
    } catch (e) {
      const reason = isAppError(e) && e.code !== ErrorCodes.DEPENDENCY_UNAVAILABLE ? `${e.code}: ${e.message}` : 'no answer';
      throw unavailable(reason, e);
    }
    const parsed = Answer.safeParse(data);
    if (!parsed.success) throw unavailable('an answer of an unexpected shape');
    const o = parsed.data.orderForPayment;
    if (!o) return null;
    if (o.orderId !== orderId || o.tenantId !== tenantId) throw unavailable('answer about another order or tenant');
    return {
      orderId: o.orderId,
      tenantId: o.tenantId,
      state: o.state,
      amount: o.amount?.minor ?? null,
      currency: o.amount?.currency ?? 'CNY',
      stationId: o.stationId,
      userId: o.userId,
      description: o.description,
      stoppedAt: o.stoppedAt ? new Date(o.stoppedAt) : null,
    };
  }

  /** Hands orders one payment event (scope `order-payment:write`), acting for the event's tenant. */
  async paymentEvent(event: PaymentEvent): Promise<void> {
    const data = await this.orders.request<unknown>(APPLY_PAYMENT_EVENT_MUTATION, { event: encodePaymentEvent(event).value }, { tenantId: event.tenantId });
    if (!Applied.safeParse(data).success)
      throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'orders answered applyPaymentEvent with an unexpected shape', { retriable: true });
  }
}
