import { z } from 'zod';

/**
 * Charger events: what the protocol bridge publishes about chargers, in one
 * model for every protocol (OCPP 1.6-J, YKC). Keyed by charger identity so that
 * per-charger order holds within a partition.
 *
 * Compatibility rules: within a major `version`, fields are only ever added
 * (consumers ignore unknown fields). A breaking change is a new version with its
 * own type string; producers publish both until consumers have moved.
 */
export const CHARGER_EVENTS_TOPIC = 'evcs.charger-events.v1';
/** Partitions sized for ~20k events/s with headroom for consumer parallelism. */
export const CHARGER_EVENTS_PARTITIONS = 12;

/** ISO-8601 timestamp that states its zone (Z or ±hh:mm). */
export const zonedTimestamp = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO-8601 timestamp with an explicit zone',
  });

export const ConnectorStatus = z.enum([
  'Available',
  'Preparing',
  'Charging',
  'SuspendedEV',
  'SuspendedEVSE',
  'Finishing',
  'Reserved',
  'Unavailable',
  'Faulted',
]);
export type ConnectorStatus = z.infer<typeof ConnectorStatus>;

const envelopeBase = z.object({
  /** Unique per event; consumers deduplicate on it. */
  id: z.string().uuid(),
  version: z.literal(1),
  tenantId: z.string().uuid(),
  /** The identity the charger connects with (OCPP chargePointId / YKC pile code). */
  chargerId: z.string().min(1).max(64),
  /** When it happened at the charger (or when the bridge observed it). */
  occurredAt: zonedTimestamp,
  /** When the bridge received it. */
  receivedAt: zonedTimestamp,
  source: z.object({ protocol: z.enum(['OCPP16', 'YKC', 'SIMULATED']), bridgeId: z.string() }),
});

export const ChargerConnected = envelopeBase.extend({
  type: z.literal('charger.connected'),
  data: z.object({ remoteAddress: z.string().optional() }),
});
export const ChargerDisconnected = envelopeBase.extend({
  type: z.literal('charger.disconnected'),
  data: z.object({ reason: z.string() }),
});
export const ChargerBooted = envelopeBase.extend({
  type: z.literal('charger.booted'),
  data: z.object({
    vendor: z.string(),
    model: z.string(),
    serialNumber: z.string().optional(),
    firmwareVersion: z.string().optional(),
  }),
});
export const ConnectorStatusChanged = envelopeBase.extend({
  type: z.literal('connector.status_changed'),
  data: z.object({
    /** 0 means the charger as a whole (OCPP convention). */
    connectorId: z.number().int().min(0).max(255),
    status: ConnectorStatus,
    errorCode: z.string().default('NoError'),
    info: z.string().optional(),
  }),
});

export const ChargerEvent = z.discriminatedUnion('type', [ChargerConnected, ChargerDisconnected, ChargerBooted, ConnectorStatusChanged]);
export type ChargerEvent = z.infer<typeof ChargerEvent>;
export type ChargerEventType = ChargerEvent['type'];
export type ChargerEventOf<T extends ChargerEventType> = Extract<ChargerEvent, { type: T }>;
