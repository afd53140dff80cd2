import { encodeWith, eventHeaders, type EventContract } from './contract';
import { z } from 'zod';
import { zonedTimestamp } from './charger-events';
import { decodeEvent, EncodedEvent } from './codec';

/**
 * Access events: what the tenants subgraph publishes when a user's outstanding
 * access tokens stop being good — their roles, a role's permissions or data
 * scope, their station assignments or their tenant's status changed. Written to
 * the tenants outbox in the transaction that made the change, so a committed
 * change always has its event (at least once; deduplicate on `id`).
 *
 * Consumers: every router instance, each with its own consumer group, reading
 * the whole topic at every start (it holds the revocations of the last token
 * lifetime and more: see ACCESS_EVENTS_TOPIC_CONFIG).
 *
 * Keyed by user id. Same compatibility rules as the other contracts: fields are
 * only added within a version; consumers ignore types and fields they don't know.
 */
export const ACCESS_EVENTS_TOPIC = 'evcs.access-events.v1';
/** Revocations are operator actions: rare. */
export const ACCESS_EVENTS_PARTITIONS = 3;
/**
 * Access tokens live 15 minutes; a router starting up rebuilds its revocation
 * list from this topic, so it must hold at least that long. An hour leaves room
 * for a relay that was behind; small segments let retention actually apply
 * (Kafka deletes whole closed segments only).
 */
export const ACCESS_EVENTS_RETENTION_MS = 60 * 60_000;
export const ACCESS_EVENTS_TOPIC_CONFIG: Record<string, string> = {
  'cleanup.policy': 'delete',
  'retention.ms': String(ACCESS_EVENTS_RETENTION_MS),
  'segment.ms': String(10 * 60_000),
};

/** A JWT NumericDate: whole seconds since the epoch, as in `iat`. */
const numericDate = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Why access was revoked, for logs and audit. Deliberately an open string, not
 * an enum: a router must never drop a revocation because its reason is newer
 * than the router. Known values: ROLES_CHANGED, ROLE_CHANGED, STATIONS_CHANGED,
 * TENANT_SUSPENDED, REFRESH_TOKEN_REUSED.
 */
const reason = z.string().min(1).max(64);

const accessEnvelope = z.object({
  /** Unique per event; consumers deduplicate on it. */
  id: z.string().uuid(),
  version: z.literal(1),
  /** The user's tenant. */
  tenantId: z.string().uuid(),
  /** When the change was made (the tenants service's clock). */
  occurredAt: zonedTimestamp,
});

/**
 * Every access token of `userId` issued before `issuedBefore` (its `iat` is
 * smaller) is revoked; tokens issued from then on are good. The tenants service
 * never issues this user a token with an earlier `iat` after the change.
 * Matched on the token's subject, whatever its tenant: a platform
 * administrator's `assumeTenant` tokens carry the administrator's id and go
 * with the administrator's own.
 */
export const AccessRevoked = accessEnvelope.extend({
  type: z.literal('access.revoked'),
  data: z.object({
    userId: z.string().uuid(),
    issuedBefore: numericDate,
    reason,
  }),
});

export const AccessEvent = z.discriminatedUnion('type', [AccessRevoked]);
export type AccessEvent = z.infer<typeof AccessEvent>;
export type AccessRevoked = z.infer<typeof AccessRevoked>;

export const AccessEvents: EventContract<AccessEvent> = { topic: ACCESS_EVENTS_TOPIC, schema: AccessEvent, key: (e) => e.data.userId, headers: eventHeaders };

export const encodeAccessEvent = (event: AccessEvent): EncodedEvent => encodeWith(AccessEvents, event);

export function decodeAccessEvent(value: Buffer | string | null): AccessEvent {
  return decodeEvent(AccessEvent, value);
}
