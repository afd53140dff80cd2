import type { ChargerRow, ConnectorRow, StationRow } from '../persistence/read-repository';
import { Charger, ChargerProtocol, Connector, CurrentType, Station, StationStatus } from './types';

export const toStation = (r: StationRow): Station =>
  Object.assign(new Station(), { id: r.id, code: r.code, name: r.name, address: r.address, timezone: r.timezone, status: r.status as StationStatus });

export const toCharger = (r: ChargerRow): Charger =>
  Object.assign(new Charger(), {
    id: r.id,
    code: r.code,
    protocol: r.protocol as ChargerProtocol,
    currentType: r.current_type as CurrentType,
    vendor: r.vendor,
    model: r.model,
    firmwareVersion: r.firmware_version,
    online: r.online,
    lastSeenAt: r.last_seen_at,
    stationId: r.station_id,
  });

export const toConnector = (r: ConnectorRow): Connector =>
  Object.assign(new Connector(), {
    id: r.id,
    connectorNo: r.connector_no,
    status: r.status,
    errorCode: r.error_code,
    statusAt: r.status_at,
    chargerId: r.charger_id,
  });
