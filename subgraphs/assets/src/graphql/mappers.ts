import type { ChargerRow, ConnectorRow, StationRow, StationStatsRow, StatusHistoryRow } from '../domain/read-model';
import {
  Charger,
  ChargerProtocol,
  ChargerRegistrationState,
  Connector,
  ConnectorStatusRecord,
  CurrentType,
  PlugType,
  Station,
  StationStats,
  StationStatus,
} from './types';

const num = (v: string | null): number | null => (v === null ? null : Number(v));

export const toStation = (r: StationRow): Station =>
  Object.assign(new Station(), {
    id: r.id,
    code: r.code,
    name: r.name,
    address: r.address,
    latitude: num(r.latitude),
    longitude: num(r.longitude),
    timezone: r.timezone,
    status: r.status as StationStatus,
    version: r.version,
    retiredAt: r.retired_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

export const toCharger = (r: ChargerRow): Charger =>
  Object.assign(new Charger(), {
    id: r.id,
    code: r.code,
    protocol: r.protocol as ChargerProtocol,
    currentType: r.current_type as CurrentType,
    ratedPowerKw: r.rated_power_kw,
    vendor: r.vendor,
    model: r.model,
    firmwareVersion: r.firmware_version,
    firmwareStatus: r.firmware_status ?? null,
    firmwareStatusAt: r.firmware_status_at ?? null,
    diagnosticsStatus: r.diagnostics_status ?? null,
    diagnosticsStatusAt: r.diagnostics_status_at ?? null,
    registrationState: r.registration_state as ChargerRegistrationState,
    online: r.online,
    lastSeenAt: r.last_seen_at,
    version: r.version,
    retiredAt: r.retired_at,
    stationId: r.station_id,
  });

export const toConnector = (r: ConnectorRow): Connector =>
  Object.assign(new Connector(), {
    id: r.id,
    connectorNo: r.connector_no,
    plugType: r.plug_type as PlugType | null,
    maxPowerKw: r.max_power_kw,
    status: r.status,
    errorCode: r.error_code,
    statusAt: r.status_at,
    version: r.version,
    retiredAt: r.retired_at,
    chargerId: r.charger_id,
  });

export const toStats = (r: StationStatsRow): StationStats =>
  Object.assign(new StationStats(), {
    connectorsByStatus: r.connectors_by_status,
    chargersTotal: r.chargers_total,
    chargersOnline: r.chargers_online,
    onlineRate: r.chargers_total === 0 ? null : r.chargers_online / r.chargers_total,
  });

export const toStatusChange = (r: StatusHistoryRow): ConnectorStatusRecord =>
  Object.assign(new ConnectorStatusRecord(), { status: r.status, errorCode: r.error_code, occurredAt: r.occurred_at, recordedAt: r.recorded_at });
