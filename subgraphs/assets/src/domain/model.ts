import { defineCodes, failAll, ok, type Outcome, type UserError as PlatformUserError } from '@evcs/platform';
/**
 * The asset model's vocabularies and the write-side input shapes. Plain data:
 * the GraphQL layer maps to and from these, persistence stores them.
 */
import { CONNECTOR_STATUSES } from './status';

export const STATION_STATUSES = ['BUILDING', 'OPERATING', 'MAINTENANCE', 'CLOSED'] as const;
export type StationStatusValue = (typeof STATION_STATUSES)[number];

export const CHARGER_PROTOCOLS = ['OCPP16', 'YKC'] as const;
export type ChargerProtocolValue = (typeof CHARGER_PROTOCOLS)[number];

export const CURRENT_TYPES = ['AC', 'DC'] as const;
export type CurrentTypeValue = (typeof CURRENT_TYPES)[number];

export const PLUG_TYPES = ['GBT_AC', 'GBT_DC', 'TYPE1', 'TYPE2', 'CCS1', 'CCS2', 'CHADEMO', 'OTHER'] as const;
export type PlugTypeValue = (typeof PLUG_TYPES)[number];

export const REGISTRATION_STATES = ['REGISTERED', 'RETIRED'] as const;
export type RegistrationStateValue = (typeof REGISTRATION_STATES)[number];

/**
 * What a connector can show: the OCPP 1.6 vocabulary, plus `Offline` — the
 * platform's own status for the connectors of a charger that lost its
 * connection (OCPP has no word for "we cannot hear it").
 */
export const CONNECTOR_DISPLAY_STATUSES = [...CONNECTOR_STATUSES, 'Offline'] as const;
export type ConnectorDisplayStatus = (typeof CONNECTOR_DISPLAY_STATUSES)[number];

/** Statuses during which a connector is part of a session: retiring it (or its charger) is refused. */
export const IN_USE_STATUSES: readonly ConnectorDisplayStatus[] = ['Preparing', 'Charging', 'SuspendedEV', 'SuspendedEVSE', 'Finishing'];

/**
 * Power in kW as an exact decimal string ("7.4", "120.00"): at most 6 integer
 * digits and 2 decimals, matching numeric(8,2). Never a float.
 */
export type PowerKw = string;

export interface StationCreate {
  code: string;
  name: string;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  status: StationStatusValue;
}

/** Only the keys present are changed; `null` clears a nullable field. */
export type StationPatch = Partial<Omit<StationCreate, 'code'>> & { code?: string };

export interface ConnectorCreate {
  connectorNo: number;
  plugType: PlugTypeValue | null;
  maxPowerKw: PowerKw | null;
}
export type ConnectorPatch = Partial<Omit<ConnectorCreate, 'connectorNo'>>;

export interface ChargerCreate {
  stationId: string;
  code: string;
  protocol: ChargerProtocolValue;
  currentType: CurrentTypeValue;
  ratedPowerKw: PowerKw;
  vendor: string | null;
  model: string | null;
  firmwareVersion: string | null;
  connectors: ConnectorCreate[];
}
export type ChargerPatch = Partial<Pick<ChargerCreate, 'stationId' | 'currentType' | 'ratedPowerKw' | 'vendor' | 'model' | 'firmwareVersion'>>;

/** A business failure reported as data: the platform's UserError (this subgraph's codes below). */
export type UserError = PlatformUserError;

export const UserErrorCodes = defineCodes({
  INVALID: 'A field is malformed or out of range (code, power, connector numbers, a CIDR, a password…); the field names it.',
  REQUIRED: 'A required field is missing.',
  DUPLICATE: 'Already taken in this tenant (a station or charger code), or listed twice in the input (connector numbers).',
  NOT_FOUND: 'The station, charger or connector does not exist in this tenant.',
  RETIRED: 'The station or charger is retired; it can no longer be changed.',
  VERSION_CONFLICT: '`expectedVersion` differs from the current version: someone changed it meanwhile; reload and retry.',
  QUOTA_EXCEEDED: "The tenant's quota of active stations or chargers is reached.",
  UNKNOWN_TENANT: 'The tenants service does not know this tenant; nothing can be created for it.',
  HAS_ACTIVE_CHARGERS: 'A station with active chargers cannot be retired; retire or move them first.',
  IN_USE: 'A connector is in a session; retire it (or its charger) when it is free.',
  NOT_SUPPORTED: "The charger's protocol has no message for this command (e.g. UnlockConnector on a YKC pile, time sync on OCPP).",
  ALREADY_REVOKED: "The charger's credential is already revoked; rotateChargerCredential gives it a new one.",
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was already used for another command (another type or charger); use a new key per command.',
});
export type UserErrorCode = (typeof UserErrorCodes)[keyof typeof UserErrorCodes];

export const userError = (code: UserErrorCode, field: string | null, message: string): UserError => ({ code, field, message });

/** Outcome of a write: the written thing, or why not. */
export type WriteResult<T> = Outcome<T>;
export { ok };
export const failed = <T>(...errors: UserError[]): WriteResult<T> => failAll(errors);
