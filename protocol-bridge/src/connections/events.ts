import type { ChargerEvent, ChargerEventOf } from '@evcs/events';

/** What every event about one connected charger shares. Protocol-neutral: OCPP and YKC both build on it. */
export interface ChargerContext {
  tenantId: string;
  /** The identity the charger connects with (OCPP chargePointId, YKC pile code). */
  chargerId: string;
  protocol: ChargerEvent['source']['protocol'];
  bridgeId: string;
}

/** The parts of an event that come from the outside world (ids, clock), so mappings stay pure. */
export interface EventStamp {
  id: string;
  receivedAt: Date;
}

type Envelope = Pick<ChargerEvent, 'id' | 'version' | 'tenantId' | 'chargerId' | 'occurredAt' | 'receivedAt' | 'source'>;

function envelope(ctx: ChargerContext, stamp: EventStamp, occurredAt?: string): Envelope {
  const receivedAt = stamp.receivedAt.toISOString();
  return {
    id: stamp.id,
    version: 1,
    tenantId: ctx.tenantId,
    chargerId: ctx.chargerId,
    occurredAt: occurredAt ?? receivedAt,
    receivedAt,
    source: { protocol: ctx.protocol, bridgeId: ctx.bridgeId },
  };
}

/**
 * The one builder of charger events, for both protocols: the envelope of the charger's
 * connection around a contract's data. Protocol mappings (ocpp/handlers, ykc/events.ts)
 * produce only the data; `occurredAt` is the charger's own time when it sent one.
 */
export function chargerEvent<T extends ChargerEvent['type']>(
  ctx: ChargerContext,
  stamp: EventStamp,
  type: T,
  data: ChargerEventOf<T>['data'],
  occurredAt?: string,
): ChargerEventOf<T> {
  return { ...envelope(ctx, stamp, occurredAt), type, data } as ChargerEventOf<T>;
}

export function connectedEvent(ctx: ChargerContext, stamp: EventStamp, remoteAddress?: string): ChargerEventOf<'charger.connected'> {
  return chargerEvent(ctx, stamp, 'charger.connected', remoteAddress ? { remoteAddress } : {});
}

export function disconnectedEvent(ctx: ChargerContext, stamp: EventStamp, reason: string): ChargerEventOf<'charger.disconnected'> {
  return chargerEvent(ctx, stamp, 'charger.disconnected', { reason });
}

const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * A charger-supplied timestamp as a UTC ISO string, or `fallback` if it is
 * missing or unusable. The OCPP schemas accept `date-time` without a zone, with
 * a lower-case `z`, or with `+hhmm`; OCPP times are UTC, so a zone-less time is
 * read as UTC (never as the bridge host's local time).
 */
export function normaliseTimestamp(raw: string | undefined, fallback: Date): string {
  if (!raw) return fallback.toISOString();
  let s = raw.trim().toUpperCase().replace(' ', 'T');
  const zone = /(Z|[+-]\d{2}(:?\d{2})?)$/.exec(s);
  if (!zone) s += 'Z';
  else if (zone[1] !== 'Z') {
    // ±hh, ±hhmm → ±hh:mm, the one offset form Date.parse reliably reads.
    const digits = zone[1].slice(1).replace(':', '');
    s = s.slice(0, zone.index) + zone[1][0] + digits.slice(0, 2) + ':' + (digits.slice(2) || '00');
  }
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return fallback.toISOString();
  const iso = new Date(ms).toISOString();
  // Years outside 0000–9999 serialise as ±YYYYYY, which is not a valid event timestamp.
  return ZONED_ISO.test(iso) ? iso : fallback.toISOString();
}
