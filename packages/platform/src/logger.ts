import pino, { Logger, LoggerOptions } from 'pino';
import { activeTraceIds } from './tracing/context';

export type { Logger };

/**
 * Keys whose values never reach a log line, at whatever depth they sit
 * (`{ input: { user: { password } } }` as much as `{ password }`). Secrets never
 * reach logs; personal data (phone, id numbers, payment data) is masked. Matched
 * case-insensitively, so an `Authorization` header is caught like `authorization`.
 * Keep this list in one place so every service redacts the same things.
 */
export const REDACTED_KEYS: readonly string[] = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'cookie',
  'phone',
  'idNumber',
  'cardNumber',
  'privateKey',
  'apiKey',
  'secret',
  // payment data and channel keys
  'appPrivateKey',
  'merchantPrivateKey',
  'apiV3Key',
  'paySign',
  'orderString',
  'clientParams',
  'openId',
  'rawBody',
];

const CENSOR = '[REDACTED]';
const redactedKeys = new Set(REDACTED_KEYS.map((k) => k.toLowerCase()));
/** Deeper than any log object the services write; past it a value is dropped rather than walked. */
const MAX_DEPTH = 10;

/**
 * A copy of `value` with every redacted key censored, at any depth. Only plain
 * objects and arrays are walked (and copied: the caller's object is never
 * changed); errors, dates and buffers go to pino's serializers as they are.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (!value || typeof value !== 'object') return value;
  const isArray = Array.isArray(value);
  if (!isArray && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Too deep]';
  seen.add(value);
  const out = isArray
    ? value.map((v: unknown) => redactDeep(v, depth + 1, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactedKeys.has(k.toLowerCase()) ? CENSOR : redactDeep(v, depth + 1, seen)]));
  seen.delete(value);
  return out;
}

/** `destination`: stdout unless given (tests capture lines). */
export function createLogger(name: string, opts: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    formatters: { log: (o) => redactDeep(o) as Record<string, unknown> },
    // pino formats no child bindings (request ids, subjects): its path redaction covers their
    // first two levels, case as listed.
    redact: { paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]), censor: CENSOR },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every line logged inside a traced request or message names its trace (nothing when tracing is off).
    mixin: activeTraceIds,
    ...opts,
  };
  return destination ? pino(options, destination) : pino(options);
}
