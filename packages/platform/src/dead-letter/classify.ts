import { InvalidEventError } from '@evcs/events';
import { ZodError } from 'zod';
import { defineCodes, ErrorCodes, isAppError } from '../errors';

/**
 * What a consumer's failure to handle a message says about retrying it.
 *
 * - `permanent`: the message itself is at fault, and handling it again — now or in an hour —
 *   fails the same way: it cannot be decoded or breaks its contract (`INVALID_EVENT`), it
 *   carries data the domain or the database refuses (`INVALID_DATA`), or a domain service
 *   refused it for good (an AppError that is not retriable: its own code, e.g. `FORBIDDEN`).
 *   Such a message is dead-lettered, and its partition moves on.
 * - `transient`: anything else — a database or a service down, a timeout, a lock, a bug that
 *   a deploy will fix. The message is retried in place, with backoff, and never dead-lettered:
 *   everything behind it on its partition would fail the same way, and skipping would lose it.
 *
 * Only errors that positively say "permanent" are: an error that says nothing is retried
 * (an unknown bug then holds its partition, loudly in the logs, until it is fixed).
 */
export type FailureClass = { kind: 'permanent'; reason: string; message: string } | { kind: 'transient'; message: string };

/** Reason codes of the failures this module recognises by kind (an AppError brings its own code). */
export const DeadLetterReasons = defineCodes({
  INVALID_EVENT: "Not decodable, or not what the topic's contract says (JSON, zod).",
  INVALID_DATA: 'Decodable, but a value the domain or the database refuses (a RangeError, SQLSTATE 22xxx, a check or not-null violation).',
});

const MAX_MESSAGE = 1_000;

// SQLSTATEs about the data of one statement: retrying the same data fails the same way. Unique and
// foreign-key violations are not here: between concurrent consumers they are races a retry resolves.
const PERMANENT_SQLSTATE = (code: string) => code.startsWith('22') || code === '23502' || code === '23514';

const isPgError = (e: unknown): e is { code: string; severity: string } =>
  typeof e === 'object' &&
  e !== null &&
  typeof (e as { code?: unknown }).code === 'string' &&
  /^[0-9A-Z]{5}$/.test((e as { code: string }).code) &&
  'severity' in e;

// AppErrors whose code says nothing about the message: an unexpected failure (here or at a service
// called, whose masked errors arrive as INTERNAL_SERVER_ERROR), a token refused by a callee.
const SAYS_NOTHING = new Set<string>([ErrorCodes.INTERNAL, ErrorCodes.UNAUTHENTICATED, ErrorCodes.DEPENDENCY_UNAVAILABLE]);

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, MAX_MESSAGE);

export function classifyFailure(e: unknown): FailureClass {
  const message = messageOf(e);
  const permanent = (reason: string): FailureClass => ({ kind: 'permanent', reason, message });
  if (e instanceof InvalidEventError || e instanceof ZodError || e instanceof SyntaxError) return permanent(DeadLetterReasons.INVALID_EVENT);
  if (isAppError(e)) return e.retriable || SAYS_NOTHING.has(e.code) ? { kind: 'transient', message } : permanent(e.code);
  if (e instanceof RangeError) return permanent(DeadLetterReasons.INVALID_DATA);
  if (isPgError(e) && PERMANENT_SQLSTATE(e.code)) return permanent(DeadLetterReasons.INVALID_DATA);
  return { kind: 'transient', message };
}
