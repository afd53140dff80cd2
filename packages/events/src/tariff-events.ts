import { encodeWith, eventHeaders, type EventContract } from './contract';
import { z } from 'zod';
import { zonedTimestamp } from './charger-events';
import { decodeEvent, EncodedEvent } from './codec';

/**
 * Tariff events: what the tariffs subgraph publishes after a plan or a charger
 * binding changed (after the database commit). Today their consumers are the
 * tariffs instances themselves, each dropping its cached copy of the tenant's
 * plans; orders or the protocol bridge (pushing YKC billing models) may follow.
 *
 * Keyed by tenant id: one tenant's changes stay in order on one partition.
 * Same compatibility rules as charger events: fields are only added within a
 * version; consumers ignore what they don't know.
 */
export const TARIFF_EVENTS_TOPIC = 'evcs.tariff-events.v1';
/** Plan edits are rare (operator actions); a few partitions are plenty. */
export const TARIFF_EVENTS_PARTITIONS = 3;

const tariffEnvelope = z.object({
  /** Unique per event. */
  id: z.string().uuid(),
  version: z.literal(1),
  tenantId: z.string().uuid(),
  /** When the change was committed. */
  occurredAt: zonedTimestamp,
});

export const TariffPlanChange = z.enum(['CREATED', 'VERSIONED', 'DEFAULT_CHANGED', 'RETIRED']);

export const TariffPlanChanged = tariffEnvelope.extend({
  type: z.literal('tariff.plan_changed'),
  data: z.object({
    planId: z.string().uuid(),
    /** null: a tenant-level plan */
    stationId: z.string().uuid().nullable(),
    change: TariffPlanChange,
    /** the version created (CREATED, VERSIONED) */
    planVersion: z.number().int().min(1).optional(),
    /** when that version takes effect */
    effectiveFrom: zonedTimestamp.optional(),
  }),
});

export const ChargerTariffBindingChanged = tariffEnvelope.extend({
  type: z.literal('tariff.binding_changed'),
  data: z.object({
    chargerId: z.string().uuid(),
    stationId: z.string().uuid().nullable(),
    /** null: unbound (the station's or tenant's default applies) */
    planId: z.string().uuid().nullable(),
  }),
});

export const TariffEvent = z.discriminatedUnion('type', [TariffPlanChanged, ChargerTariffBindingChanged]);
export type TariffEvent = z.infer<typeof TariffEvent>;
export type TariffEventType = TariffEvent['type'];

/** Keyed by tenant: one tenant's changes stay in order on one partition. */
export const TariffEvents: EventContract<TariffEvent> = { topic: TARIFF_EVENTS_TOPIC, schema: TariffEvent, key: (e) => e.tenantId, headers: eventHeaders };

export const encodeTariffEvent = (event: TariffEvent): EncodedEvent => encodeWith(TariffEvents, event);

export function decodeTariffEvent(value: Buffer | string | null): TariffEvent {
  return decodeEvent(TariffEvent, value);
}
