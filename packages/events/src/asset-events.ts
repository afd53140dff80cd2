import { z } from 'zod';
import { zonedTimestamp } from './charger-events';
import { decodeEvent } from './codec';
import { eventHeaders, type EventContract } from './contract';

/**
 * Asset events: what the assets subgraph publishes (through its outbox, in the transaction of the
 * change) when a charger's registration changes — registered, changed (code, station, protocol,
 * the station's time zone, a connector added or retired, its credential set or revoked), retired. Each carries the charger as it
 * is after the change, whole: a consumer keeps a projection of it (orders: the chargers a start
 * needs) without asking assets.
 *
 * Keyed by charger id: one charger's changes stay in order on one partition. `revision` grows with
 * every change of one charger, in commit order (assets takes it under the charger's row lock), so
 * a consumer applies a snapshot only over an older one and replays and late copies do nothing.
 * Same compatibility rules as charger events: fields are only added within a version.
 */
export const ASSET_EVENTS_TOPIC = 'evcs.asset-events.v1';
/** Registrations are operator actions: a few partitions are plenty. */
export const ASSET_EVENTS_PARTITIONS = 3;
/**
 * Compacted: Kafka keeps at least the newest event of every charger (the key), so a consumer
 * that starts from the beginning rebuilds its projection from every charger ever registered.
 */
export const ASSET_EVENTS_TOPIC_CONFIG: Record<string, string> = { 'cleanup.policy': 'compact' };

export const ChargerSnapshot = z.object({
  chargerId: z.string().uuid(),
  /** the identity it connects with (OCPP charge point id / YKC pile number) */
  code: z.string().min(1),
  stationId: z.string().uuid(),
  /** the station's IANA time zone, when it names one */
  timezone: z.string().nullable(),
  protocol: z.enum(['OCPP16', 'YKC']),
  /** its active connectors' numbers, ascending */
  connectorNos: z.array(z.number().int().min(0).max(255)),
  /** grows with every change of this charger, in commit order */
  revision: z.number().int().min(1),
  /**
   * true while its credential is revoked (assets' revokeChargerCredential); absent otherwise (and
   * in events from before it existed). A bridge keeps no copy of a revoked charger's registration,
   * not even as the fallback while assets is unavailable.
   */
  credentialRevoked: z.boolean().optional(),
});
export type ChargerSnapshot = z.infer<typeof ChargerSnapshot>;

const assetEnvelope = z.object({
  /** Unique per event. */
  id: z.string().uuid(),
  version: z.literal(1),
  tenantId: z.string().uuid(),
  /** When the change was made (its transaction's time). */
  occurredAt: zonedTimestamp,
});

export const AssetEvent = z.discriminatedUnion('type', [
  assetEnvelope.extend({ type: z.literal('charger.registered'), data: ChargerSnapshot }),
  assetEnvelope.extend({ type: z.literal('charger.changed'), data: ChargerSnapshot }),
  /** the charger as it was when retired; it takes no more sessions */
  assetEnvelope.extend({ type: z.literal('charger.retired'), data: ChargerSnapshot }),
]);
export type AssetEvent = z.infer<typeof AssetEvent>;
export type AssetEventType = AssetEvent['type'];

/** Keyed by charger: one charger's changes stay in order on one partition. */
export const AssetEvents: EventContract<AssetEvent> = { topic: ASSET_EVENTS_TOPIC, schema: AssetEvent, key: (e) => e.data.chargerId, headers: eventHeaders };

export function decodeAssetEvent(value: Buffer | string | null): AssetEvent {
  return decodeEvent(AssetEvent, value);
}
