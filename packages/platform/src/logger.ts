import pino, { Logger, LoggerOptions } from 'pino';
import { activeTraceIds } from './tracing/context';

export type { Logger };

/**
 * Paths redacted from every log line. Secrets never reach logs; personal data
 * (phone, id numbers, payment data) is masked. Keep this list in one place so
 * every service redacts the same things.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'phone',
  '*.phone',
  'idNumber',
  '*.idNumber',
  'cardNumber',
  '*.cardNumber',
  'privateKey',
  '*.privateKey',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  // payment data and channel keys
  'appPrivateKey',
  '*.appPrivateKey',
  'merchantPrivateKey',
  '*.merchantPrivateKey',
  'apiV3Key',
  '*.apiV3Key',
  'paySign',
  '*.paySign',
  'orderString',
  '*.orderString',
  'clientParams',
  '*.clientParams',
  'openId',
  '*.openId',
  'rawBody',
  '*.rawBody',
];

export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  return pino({
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every line logged inside a traced request or message names its trace (nothing when tracing is off).
    mixin: activeTraceIds,
    ...opts,
  });
}
