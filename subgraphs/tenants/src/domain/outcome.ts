/**
 * Expected failures are data: a service returns an Outcome, the GraphQL layer
 * turns its errors into `userErrors`. Unexpected failures are thrown.
 */
export interface UserError {
  /** stable, machine-readable */
  code: string;
  /** the input field at fault, if one is */
  field: string | null;
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; errors: UserError[] };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = <T = never>(code: string, field: string | null, message: string): Outcome<T> => ({ ok: false, errors: [{ code, field, message }] });
export const failAll = <T = never>(errors: UserError[]): Outcome<T> => ({ ok: false, errors });

/** userError codes this service returns. */
export const UserErrorCodes = {
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  ACCOUNT_LOCKED: 'ACCOUNT_LOCKED',
  ACCOUNT_DISABLED: 'ACCOUNT_DISABLED',
  INVALID_REFRESH_TOKEN: 'INVALID_REFRESH_TOKEN',
  TOKEN_REUSED: 'TOKEN_REUSED',
  INVALID_INPUT: 'INVALID_INPUT',
  INVALID_PERMISSION: 'INVALID_PERMISSION',
  DUPLICATE: 'DUPLICATE',
  NOT_FOUND: 'NOT_FOUND',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  GRANT_NOT_ALLOWED: 'GRANT_NOT_ALLOWED',
  SYSTEM_ROLE_IMMUTABLE: 'SYSTEM_ROLE_IMMUTABLE',
  INVALID_TENANT_TYPE: 'INVALID_TENANT_TYPE',
  NOT_ALLOWED: 'NOT_ALLOWED',
} as const;
