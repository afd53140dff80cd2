/**
 * Errors that cross a boundary (GraphQL, Kafka handler, protocol) carry a stable
 * machine-readable code and say whether retrying can help — the same idea as
 * kafkajs' `retriable` flag. Messages are for humans; codes are the contract.
 */
export const ErrorCodes = {
  TENANT_CONTEXT_MISSING: 'TENANT_CONTEXT_MISSING',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A valid token whose access was revoked (roles changed, user disabled…): sign in or refresh for a new one. */
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  INVALID_CONFIGURATION: 'INVALID_CONFIGURATION',
  INVALID_EVENT: 'INVALID_EVENT',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | (string & {});

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: { retriable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'AppError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.details = opts.details;
  }
}

export class TenantContextMissingError extends AppError {
  constructor(where: string) {
    super(ErrorCodes.TENANT_CONTEXT_MISSING, `No tenant in context (${where}); refusing to run without one`);
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
