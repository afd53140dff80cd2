import type { z } from 'zod';
import { ChargerEvent } from './charger-events';

export interface EncodedEvent {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export class InvalidEventError extends Error {
  readonly code = 'INVALID_EVENT';
  constructor(
    message: string,
    readonly raw?: string,
  ) {
    super(message);
  }
}

/** Encode for the bus: JSON body, routing facts duplicated in headers for cheap filtering. */
export function encodeChargerEvent(event: ChargerEvent): EncodedEvent {
  return {
    key: event.chargerId,
    value: JSON.stringify(event),
    headers: {
      'content-type': 'application/json',
      'event-type': event.type,
      'event-version': String(event.version),
      'tenant-id': event.tenantId,
    },
  };
}

/** Decode and validate at the edge; a bad event is an error with the reason, never a crash later. */
export function decodeChargerEvent(value: Buffer | string | null): ChargerEvent {
  return decodeEvent(ChargerEvent, value);
}

/** JSON-parse and validate one event against its contract (zod schema). */
export function decodeEvent<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: Buffer | string | null): T {
  if (value == null) throw new InvalidEventError('empty event');
  const raw = typeof value === 'string' ? value : value.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidEventError('event is not JSON', raw);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidEventError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), raw);
  }
  return parsed.data;
}
