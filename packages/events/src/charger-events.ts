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
  /** SIMULATED: injected by an operator; BRIDGE: said by the bridge itself (e.g. a command for a charger nobody holds). */
  source: z.object({ protocol: z.enum(['OCPP16', 'YKC', 'SIMULATED', 'BRIDGE']), bridgeId: z.string() }),
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

/** A decimal number as a string with a fixed scale (kWh and money are never floats). */
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number as a string');

/**
 * The charger's own id of a session: the OCPP transactionId (issued by the
 * bridge, so unique across instances and restarts) as a string, or the YKC
 * 16-byte transaction serial as 32 digits (issued by the platform).
 */
const transactionId = z.string().min(1).max(64);

export const ChargerHeartbeat = envelopeBase.extend({
  type: z.literal('charger.heartbeat'),
  data: z.object({}),
});

export const SessionStarted = envelopeBase.extend({
  type: z.literal('session.started'),
  data: z.object({
    connectorId: z.number().int().min(0).max(255),
    transactionId,
    /** RFID / app token that authorised the session, when the protocol carries one. */
    idTag: z.string().max(64).optional(),
    /** Meter reading at start, Wh (OCPP meterStart). */
    meterStartWh: z.number().int().min(0).optional(),
    startedAt: zonedTimestamp,
    /** How it was started: by the charger (local), or by a remote command. */
    trigger: z.enum(['LOCAL', 'REMOTE']).default('LOCAL'),
    /**
     * The charger sent this start before (our reply was lost): same transactionId
     * as the first time. Consumers deduplicate on transactionId.
     */
    resend: z.boolean().optional(),
    /**
     * What the tenant's id-tag authority answered for idTag (OCPP
     * AuthorizationStatus). Absent: not checked (a remote start the platform
     * itself authorised, or an older bridge). A session started with anything
     * but Accepted still happened (OCPP gives it a transaction id and expects the
     * charger to stop it): record it, flag it, don't trust it.
     */
    authorization: z.enum(['Accepted', 'Blocked', 'Expired', 'Invalid', 'ConcurrentTx']).optional(),
    /** The platform user the id tag belongs to, when it belongs to one. */
    userId: z.string().uuid().optional(),
    /**
     * The reservation this start ends (OCPP StartTransaction reservationId): the charger took
     * the reserved connector for its id tag. Absent: the charger named none (a start with the
     * reserved id tag on the reserved connector still ends it). Added in v1.
     */
    reservationId: z.number().int().min(0).optional(),
  }),
});

export const MeterSample = z.object({
  /**
   * OCPP 1.6 measurand vocabulary (YKC values are mapped onto it). Orders reads
   * Energy.Active.Import.Register (or .Interval with sinceStart), Power.Active.Import (W or
   * kW; the total, or the sum of its phases) and SoC (Percent) for a session's progress;
   * any other measurand is carried along and ignored.
   */
  measurand: z.string().min(1).max(64),
  /** A decimal number as sent (format Raw); for format SignedData, the signed blob. */
  value: z.string().max(2500),
  format: z.enum(['Raw', 'SignedData']).optional(),
  unit: z.string().max(16).optional(),
  phase: z.string().max(8).optional(),
  context: z.string().max(32).optional(),
  location: z.string().max(16).optional(),
  /**
   * The value counts from the session's start (YKC 0x13 "charged energy"), not from the
   * meter's zero: energy since start, not a register reading. Added in v1 (absent: a
   * register or whatever the measurand says).
   */
  sinceStart: z.boolean().optional(),
});

export const MeterValuesReported = envelopeBase.extend({
  type: z.literal('session.meter_values'),
  data: z.object({
    connectorId: z.number().int().min(0).max(255),
    transactionId: transactionId.optional(),
    readings: z.array(z.object({ timestamp: zonedTimestamp, samples: z.array(MeterSample) })),
  }),
});

export const SessionStopped = envelopeBase.extend({
  type: z.literal('session.stopped'),
  data: z.object({
    transactionId,
    connectorId: z.number().int().min(0).max(255).optional(),
    idTag: z.string().max(64).optional(),
    meterStopWh: z.number().int().min(0).optional(),
    stoppedAt: zonedTimestamp,
    reason: z.string().max(64).optional(),
    /**
     * The bridge never issued this transaction id (OCPP StopTransaction for an
     * unknown id). The charger was answered so it stops retrying; consumers
     * should flag rather than bill it.
     */
    unknownTransaction: z.boolean().optional(),
  }),
});

export const TierUsage = z.object({
  tier: z.enum(['SHARP', 'PEAK', 'FLAT', 'VALLEY']),
  /** yuan per kWh, 5 decimals */
  unitPrice: decimal,
  /** kWh, 4 decimals */
  energyKwh: decimal,
  /** yuan, 4 decimals */
  amount: decimal,
});

/** The charger's own bill of a session (YKC 0x3B). Published once per serial, however often the pile resends it. */
export const TransactionRecorded = envelopeBase.extend({
  type: z.literal('transaction.recorded'),
  data: z.object({
    transactionId,
    connectorId: z.number().int().min(0).max(255),
    startedAt: zonedTimestamp,
    endedAt: zonedTimestamp,
    /** kWh, 4 decimals */
    meterStartKwh: decimal,
    meterStopKwh: decimal,
    energyKwh: decimal,
    /** yuan, 4 decimals */
    amount: decimal,
    currency: z.literal('CNY'),
    tiers: z.array(TierUsage),
    vin: z.string().max(17).optional(),
    startType: z.number().int(),
    stopReason: z.number().int(),
  }),
});

export const CommandResult = envelopeBase.extend({
  type: z.literal('command.result'),
  data: z.object({
    /** The id of the command on the command topic. */
    commandId: z.string().uuid(),
    command: z.string(),
    /**
     * ACCEPTED / REJECTED: the charger's answer. FAILED: it never answered
     * (reason CHARGER_OFFLINE, TIMEOUT, NOT_SUPPORTED, CALL_ERROR, EXPIRED).
     */
    status: z.enum(['ACCEPTED', 'REJECTED', 'FAILED']),
    reason: z.string().max(200).optional(),
    /** The charger's reply payload, as it sent it (decoded for YKC). */
    response: z.record(z.unknown()).optional(),
  }),
});

/**
 * The bridge handed a command to the charger's connection (only for commands that ask,
 * `reportSent`): its `command.result` follows, within the command's timeout.
 */
export const CommandSent = envelopeBase.extend({
  type: z.literal('command.sent'),
  data: z.object({ commandId: z.string().uuid(), command: z.string() }),
});

/** Progress a charger reports about a diagnostics upload or a firmware update. */
export const ChargerNotice = envelopeBase.extend({
  type: z.literal('charger.notice'),
  data: z.object({ kind: z.enum(['DIAGNOSTICS', 'FIRMWARE', 'DATA_TRANSFER']), status: z.string().max(64), detail: z.record(z.unknown()).optional() }),
});

export const ChargerEvent = z.discriminatedUnion('type', [
  ChargerConnected,
  ChargerDisconnected,
  ChargerBooted,
  ConnectorStatusChanged,
  ChargerHeartbeat,
  SessionStarted,
  MeterValuesReported,
  SessionStopped,
  TransactionRecorded,
  CommandResult,
  CommandSent,
  ChargerNotice,
]);
export type ChargerEvent = z.infer<typeof ChargerEvent>;
export type ChargerEventType = ChargerEvent['type'];
export type ChargerEventOf<T extends ChargerEventType> = Extract<ChargerEvent, { type: T }>;
