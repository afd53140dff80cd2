/**
 * Errors that cross a boundary (GraphQL, Kafka handler, protocol) carry a stable
 * machine-readable code and say whether retrying can help — the same idea as
 * kafkajs' `retriable` flag. Messages are for humans; codes are the contract.
 */

/**
 * A registry entry: what the code means (docs/errors.md is generated from these), or the code
 * and its meaning when the code differs from its key.
 */
export type CodeSpec = string | { code: string; meaning: string };
type CodeOf<K, V> = V extends { code: infer C extends string } ? C : K;
export type CodeRegistry<T extends Record<string, CodeSpec>> = { readonly [K in keyof T & string]: CodeOf<K, T[K]> };
export interface CodeMeaning {
  code: string;
  meaning: string;
}

const meanings = new WeakMap<object, readonly CodeMeaning[]>();

/**
 * A registry of stable codes, each with its meaning: `defineCodes({ NOT_FOUND: '…' }).NOT_FOUND`
 * is `'NOT_FOUND'`. The meanings stay beside the codes, so the catalogue (`npm run docs:write`)
 * cannot miss one, and describeCodes reads them back.
 */
export function defineCodes<const T extends Record<string, CodeSpec>>(specs: T): CodeRegistry<T> {
  const entries = Object.entries(specs).map(([key, spec]) => (typeof spec === 'string' ? { key, code: key, meaning: spec } : { key, ...spec }));
  const registry = Object.freeze(Object.fromEntries(entries.map((e) => [e.key, e.code]))) as CodeRegistry<T>;
  meanings.set(
    registry,
    entries.map(({ code, meaning }) => ({ code, meaning })),
  );
  return registry;
}

/** The codes of a registry made by defineCodes, with their meanings, in declaration order. */
export function describeCodes(registry: object): readonly CodeMeaning[] {
  const found = meanings.get(registry);
  if (!found) throw new TypeError('describeCodes: not a registry made by defineCodes');
  return found;
}

/** Codes of thrown errors: GraphQL `errors[].extensions.code`, the same in every service. */
export const ErrorCodes = defineCodes({
  TENANT_CONTEXT_MISSING: 'The request or message names no tenant; nothing runs without one (never a default tenant).',
  UNAUTHENTICATED: 'No valid token: missing, malformed, expired or signed by an unknown key. Sign in (login) or refresh.',
  TOKEN_REVOKED: 'A valid token whose access was revoked since (roles changed, user disabled, tenant suspended…): sign in or refresh for a new one.',
  FORBIDDEN: 'The identity lacks the permission (or the read scope) the operation needs.',
  NOT_FOUND: 'The thing named does not exist in this tenant (or is not visible to the caller).',
  BAD_USER_INPUT: 'An argument is malformed (a query argument, a filter, a cursor); the message names it.',
  CONFLICT: 'The change conflicts with the current state (a concurrent update, a uniqueness rule).',
  INVALID_CONFIGURATION: 'A service was started with an invalid environment or configuration file; it exits 1 before connecting to anything.',
  INVALID_EVENT: 'A Kafka event or charger message does not match its contract.',
  DEPENDENCY_UNAVAILABLE: 'A service this one needs (another subgraph, Postgres, Kafka, a payment channel) did not answer in time. Retriable.',
  INTERNAL: { code: 'INTERNAL_SERVER_ERROR', meaning: 'Anything unexpected; logged with the request id, its details masked for the client.' },
});
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
