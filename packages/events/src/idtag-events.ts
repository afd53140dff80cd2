import { z } from 'zod';
import { zonedTimestamp } from './charger-events';
import { decodeEvent, EncodedEvent } from './codec';
import { encodeWith, eventHeaders, type EventContract } from './contract';

/**
 * Id-tag events: what the tenants subgraph publishes when a tenant's id tags
 * (RFID cards, app tokens) change. Written to the tenants outbox in the
 * transaction that made the change (a committed change always has its event,
 * at least once: deduplicate on `id`).
 *
 * Consumers: every protocol-bridge instance (one consumer group each), which
 * keeps the OCPP chargers it holds in step through SendLocalList.
 *
 * Every change raises the tenant's local-list version by one; `listVersion` is
 * the version after this change. A consumer that holds version n applies the
 * change with n + 1 as a differential update, and fetches the whole list for
 * anything else (a gap, a restart). Keyed by tenant id: one tenant's changes
 * stay in order on one partition.
 *
 * Same compatibility rules as the other contracts: fields are only added
 * within a version; consumers ignore types and fields they don't know.
 */
export const IDTAG_EVENTS_TOPIC = 'evcs.idtag-events.v1';
/** Card changes are operator actions and imports: rare. */
export const IDTAG_EVENTS_PARTITIONS = 3;

/** OCPP IdTagInfo as a charger's local list holds it. */
export const LocalAuthEntry = z.object({
  /** OCPP idTag (CiString20): compared case-insensitively. */
  idTag: z.string().min(1).max(20),
  status: z.enum(['Accepted', 'Blocked', 'Expired', 'Invalid', 'ConcurrentTx']),
  expiryDate: zonedTimestamp.optional(),
  parentIdTag: z.string().min(1).max(20).optional(),
});
export type LocalAuthEntry = z.infer<typeof LocalAuthEntry>;

export const IdTagChanged = z.object({
  id: z.string().uuid(),
  version: z.literal(1),
  tenantId: z.string().uuid(),
  occurredAt: zonedTimestamp,
  type: z.literal('idtag.changed'),
  data: z.object({
    idTag: z.string().min(1).max(20),
    /** What a charger's local list should now hold for the tag; null: the tag was deleted (remove it). */
    entry: LocalAuthEntry.nullable(),
    /** The tenant's local-list version after this change (≥ 1). */
    listVersion: z.number().int().min(1).max(2_147_483_647),
  }),
});

export const IdTagEvent = z.discriminatedUnion('type', [IdTagChanged]);
export type IdTagEvent = z.infer<typeof IdTagEvent>;
export type IdTagChanged = z.infer<typeof IdTagChanged>;

export const IdTagEvents: EventContract<IdTagEvent> = { topic: IDTAG_EVENTS_TOPIC, schema: IdTagEvent, key: (e) => e.tenantId, headers: eventHeaders };

export const encodeIdTagEvent = (event: IdTagEvent): EncodedEvent => encodeWith(IdTagEvents, event);

export function decodeIdTagEvent(value: Buffer | string | null): IdTagEvent {
  return decodeEvent(IdTagEvent, value);
}
