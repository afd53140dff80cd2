/** Expected failures are data: services return an Outcome, GraphQL turns errors into `userErrors`. */
export interface UserError {
  code: string;
  field: string | null;
  message: string;
}
export type Outcome<T> = { ok: true; value: T } | { ok: false; errors: UserError[] };
export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = <T = never>(code: string, field: string | null, message: string): Outcome<T> => ({ ok: false, errors: [{ code, field, message }] });

export const UserErrorCodes = {
  INVALID_INPUT: 'INVALID_INPUT',
  ORDER_NOT_PAYABLE: 'ORDER_NOT_PAYABLE',
  ORDER_ALREADY_PAID: 'ORDER_ALREADY_PAID',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  CHANNEL_REJECTED: 'CHANNEL_REJECTED',
  CHANNEL_UNAVAILABLE: 'CHANNEL_UNAVAILABLE',
  NOT_FOUND: 'NOT_FOUND',
  NOT_REFUNDABLE: 'NOT_REFUNDABLE',
  REFUND_EXCEEDS_PAID: 'REFUND_EXCEEDS_PAID',
  ALREADY_RESOLVED: 'ALREADY_RESOLVED',
} as const;
