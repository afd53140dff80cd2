import { defineCodes } from '@evcs/platform';

export const UserErrorCodes = defineCodes({
  INVALID_INPUT: 'A field is malformed or out of range (amount, method for the channel, note); the field names it.',
  ORDER_NOT_PAYABLE: 'The order is not awaiting payment (still charging, failed, or without an amount).',
  ORDER_ALREADY_PAID: 'The order is paid already.',
  ORDERS_UNAVAILABLE: 'Payments had not heard of the order yet and the orders service could not be asked about it; retry with the same idempotency key.',
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was used before for a different request.',
  CHANNEL_REJECTED: 'The payment channel (Alipay, WeChat Pay) refused the request; its reason is in the message.',
  CHANNEL_UNAVAILABLE: 'The channel did not answer (timeout, or its circuit breaker is open); retry later.',
  NOT_FOUND: 'The order, payment or discrepancy does not exist in this tenant.',
  NOT_REFUNDABLE: 'The payment cannot be refunded (not succeeded).',
  REFUND_EXCEEDS_PAID: 'The refund, with earlier refunds, would exceed what was paid.',
  ALREADY_RESOLVED: 'The discrepancy is resolved already.',
});

/** Why payments dead-letters an event it can never apply (`paymentsDeadLetters`, reasonCode). */
export const DeadLetterReasons = defineCodes({
  AMOUNT_NOT_PAYABLE: '`order.completed` with an amount that cannot be paid (not positive, or beyond what a channel takes).',
});
