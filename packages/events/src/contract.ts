import type { z } from 'zod';
import { EncodedEvent, InvalidEventError } from './codec';

/**
 * A topic's contract: its base name (deployments prefix a namespace when publishing),
 * the schema every message must satisfy, its key and the routing facts copied into
 * headers. Producers encode only through a contract (the platform's outbox writer
 * takes nothing else), so what reaches Kafka always validates.
 */
export interface EventContract<E> {
  readonly topic: string;
  readonly schema: z.ZodType<E, z.ZodTypeDef, unknown>;
  key(message: E): string;
  /** Routing facts beside content-type, e.g. event-type, tenant-id. */
  headers(message: E): Record<string, string>;
}

export interface MessageMeta {
  /** The request that caused the message, for tracing it through logs (header `request-id`). */
  requestId?: string | null;
}

/** Validate against the contract, then encode: JSON body, key, headers (request id included). */
export function encodeWith<E>(contract: EventContract<E>, message: E, meta: MessageMeta = {}): EncodedEvent {
  const parsed = contract.schema.safeParse(message);
  if (!parsed.success) {
    throw new InvalidEventError(`${contract.topic}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const value = parsed.data;
  return {
    key: contract.key(value),
    value: JSON.stringify(value),
    headers: { 'content-type': 'application/json', ...contract.headers(value), ...(meta.requestId ? { 'request-id': meta.requestId } : {}) },
  };
}

/** The headers of an event envelope (type, version, tenant). */
export const eventHeaders = (e: { type: string; version: number; tenantId: string }): Record<string, string> => ({
  'event-type': e.type,
  'event-version': String(e.version),
  'tenant-id': e.tenantId,
});
